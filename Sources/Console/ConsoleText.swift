/// Every word the console shows, in English and Portuguese (as Mozambique
/// writes it). A test checks both languages have the same keys.
enum ConsoleText {
    static let en: [String: String] = [
        "overview": "Overview", "queue": "Review queue", "signout": "Sign out", "signin": "Sign in",
        "user": "User name", "password": "Password", "signin_intro": "Supervisors and admins sign in with their Recolha password.",
        "wrong": "Wrong user name or password.", "records": "Records", "form": "Form", "enumerator": "Enumerator",
        "state": "Review state", "received": "Received", "approved": "Approved", "has_issues": "Returned",
        "rejected": "Rejected", "corrected": "Corrected", "drafts": "Drafts", "total": "Total",
        "arrived_today": "Arrived today", "by_form": "By form", "by_enumerator": "By enumerator", "by_district": "By district",
        "queue_intro": "Finalized records waiting for a decision, oldest first (received, then corrected).",
        "queue_empty": "Nothing waits for review.", "record": "Record", "created": "Created", "owner": "Enumerator",
        "answers": "Answers", "question": "Question", "answer": "Answer", "history": "History", "who": "Who", "when": "When",
        "device": "Device", "path": "How it arrived", "direct": "directly", "relayed": "relayed by", "console": "in the console",
        "review": "Review", "comment": "Comment", "field_comments": "Comments on questions", "approve": "Approve",
        "return": "Return to enumerator", "reject": "Reject", "reopen": "Reopen", "field": "Question to flag (optional)",
        "field_comment": "What to fix in it", "none": "none", "conflicts": "Conflicts",
        "conflict_intro": "These questions hold different answers written at the same time; every value is kept.",
        "value": "Value", "saved": "Saved: the decision reaches the enumerator's device with their next sync.",
        "error": "Something went wrong", "back": "Back to the overview", "status": "Status", "deleted": "deleted",
        "not_found": "No such page.", "signed_out": "You signed out.", "expired": "Your session ended: sign in again.",
        "forms": "Forms", "version": "Version", "title_col": "Title", "published": "Published", "publish": "Publish a form",
        "publish_intro": "An XLSForm workbook (.xlsx) or a form definition (.json), checked as `recolha-server forms publish` checks it; devices receive it at their next sync.",
        "workbook": "Workbook", "published_new": "Published", "already_published": "was already published",
        "keep": "Keep this value", "all": "all", "filter": "Show", "records_found": "records", "download_csv": "Download these as CSV",
        "previous": "Previous", "next": "Next", "page": "Page", "province": "Province", "district": "District",
        "draft": "draft", "finalized": "finalized",
        "devices": "Devices", "users": "Users", "site": "Site", "last_direct": "Last direct sync", "last_relayed": "Last relayed arrival",
        "gaps": "Missing changes", "revoke": "Revoke", "revoked": "revoked", "never": "never", "through": "through",
        "devices_intro": "Each device's last direct sync and last work relayed by a supervisor; missing changes are sequence numbers below the highest the server holds that never arrived. The clock is the device's, compared with the server's at its last sync (in red past 5 minutes).",
        "skew": "Clock", "ahead": "ahead", "behind": "behind",
        "role": "Role", "disable": "Disable", "enable": "Enable", "reset_password": "Set password", "new_password": "New password",
        "add_user": "Add a user", "role_enumerator": "enumerator", "role_supervisor": "supervisor", "role_admin": "admin",
        "admins_only": "Only admins manage users and revoke devices.", "bad_user": "A user name is 1 to 64 letters, digits, _ . or -; a password at least 8 characters.",
        "user_exists": "There is already a user with that name.", "done": "Done.",
        "csrf": "This form was out of date or not sent from this console: nothing was changed. Open the page again and retry.",
    ]

    static let pt: [String: String] = [
        "overview": "Resumo", "queue": "Fila de revisão", "signout": "Terminar sessão", "signin": "Iniciar sessão",
        "user": "Nome de utilizador", "password": "Palavra-passe",
        "signin_intro": "Supervisores e administradores iniciam sessão com a sua palavra-passe do Recolha.",
        "wrong": "Nome de utilizador ou palavra-passe errados.", "records": "Registos", "form": "Formulário",
        "enumerator": "Inquiridor", "state": "Estado da revisão", "received": "Recebido", "approved": "Aprovado",
        "has_issues": "Devolvido", "rejected": "Rejeitado", "corrected": "Corrigido", "drafts": "Rascunhos", "total": "Total",
        "arrived_today": "Chegaram hoje", "by_form": "Por formulário", "by_enumerator": "Por inquiridor", "by_district": "Por distrito",
        "queue_intro": "Registos finalizados à espera de decisão, os mais antigos primeiro (recebidos, depois corrigidos).",
        "queue_empty": "Nada à espera de revisão.", "record": "Registo", "created": "Criado", "owner": "Inquiridor",
        "answers": "Respostas", "question": "Pergunta", "answer": "Resposta", "history": "Histórico", "who": "Quem",
        "when": "Quando", "device": "Dispositivo", "path": "Como chegou", "direct": "directamente", "relayed": "levado por",
        "console": "na consola", "review": "Revisão", "comment": "Comentário", "field_comments": "Comentários às perguntas",
        "approve": "Aprovar", "return": "Devolver ao inquiridor", "reject": "Rejeitar", "reopen": "Reabrir",
        "field": "Pergunta a assinalar (opcional)", "field_comment": "O que corrigir nela", "none": "nenhum",
        "conflicts": "Conflitos",
        "conflict_intro": "Estas perguntas têm respostas diferentes escritas ao mesmo tempo; todos os valores são guardados.",
        "value": "Valor", "saved": "Guardado: a decisão chega ao dispositivo do inquiridor na próxima sincronização.",
        "error": "Algo correu mal", "back": "Voltar ao resumo", "status": "Estado", "deleted": "eliminado",
        "not_found": "Esta página não existe.", "signed_out": "Terminou a sessão.", "expired": "A sessão terminou: inicie sessão de novo.",
        "forms": "Formulários", "version": "Versão", "title_col": "Título", "published": "Publicado", "publish": "Publicar um formulário",
        "publish_intro": "Um livro XLSForm (.xlsx) ou uma definição de formulário (.json), verificado como `recolha-server forms publish` o verifica; os dispositivos recebem-no na próxima sincronização.",
        "workbook": "Livro", "published_new": "Publicado", "already_published": "já estava publicado",
        "keep": "Manter este valor", "all": "todos", "filter": "Mostrar", "records_found": "registos", "download_csv": "Descarregar estes em CSV",
        "previous": "Anterior", "next": "Seguinte", "page": "Página", "province": "Província", "district": "Distrito",
        "draft": "rascunho", "finalized": "finalizado",
        "devices": "Dispositivos", "users": "Utilizadores", "site": "Site", "last_direct": "Última sincronização directa",
        "last_relayed": "Último trabalho levado", "gaps": "Alterações em falta", "revoke": "Revogar", "revoked": "revogado",
        "never": "nunca", "through": "por",
        "devices_intro": "A última sincronização directa de cada dispositivo e o último trabalho levado por um supervisor; alterações em falta são números de sequência abaixo do maior que o servidor tem e que nunca chegaram. O relógio é o do dispositivo, comparado com o do servidor na última sincronização (a vermelho acima de 5 minutos).",
        "skew": "Relógio", "ahead": "adiantado", "behind": "atrasado",
        "role": "Papel", "disable": "Desactivar", "enable": "Activar", "reset_password": "Definir palavra-passe",
        "new_password": "Nova palavra-passe", "add_user": "Adicionar utilizador", "role_enumerator": "inquiridor",
        "role_supervisor": "supervisor", "role_admin": "administrador",
        "admins_only": "Só administradores gerem utilizadores e revogam dispositivos.",
        "bad_user": "Um nome de utilizador tem de 1 a 64 letras, algarismos, _ . ou -; uma palavra-passe pelo menos 8 caracteres.",
        "user_exists": "Já existe um utilizador com esse nome.", "done": "Feito.",
        "csrf": "Este formulário estava desactualizado ou não foi enviado desta consola: nada foi alterado. Abra a página de novo e tente novamente.",
    ]

    static func words(_ lang: String) -> Words { Words(all: lang == "pt" ? pt : en) }
}

/// One language's words. A key missing from the catalogue reads as English,
/// then as the key itself: a page never fails over a word.
struct Words: Sendable {
    let all: [String: String]
    subscript(_ key: String) -> String { all[key] ?? ConsoleText.en[key] ?? key }
}
