/// The console's pages (swift-mustache; `{{x}}` escapes HTML, and no page
/// uses `{{{x}}}`). No script, nothing fetched from elsewhere: the style
/// sheet is served at /console/style.css.
enum Templates {
    static let all: [String: String] = [
        "head": """
            <!doctype html>
            <html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · Recolha</title><link rel="stylesheet" href="/console/style.css"></head>
            <body><header><strong>Recolha</strong>
            {{#user}}<nav><a href="/console">{{t.overview}}</a> <a href="/console/queue" id="nav-queue">{{t.queue}}</a> <a href="/console/records" id="nav-records">{{t.records}}</a> <a href="/console/devices">{{t.devices}}</a> <a href="/console/forms">{{t.forms}}</a>{{#admin}} <a href="/console/users">{{t.users}}</a>{{/admin}}</nav>
            <form method="post" action="/console/signout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><span class="who">{{user}}</span> <button type="submit" id="signout">{{t.signout}}</button></form>{{/user}}
            <span class="lang"><a href="?lang=pt" hreflang="pt">Português</a> · <a href="?lang=en" hreflang="en">English</a></span></header>
            <main><h1>{{title}}</h1>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            """,
        "foot": "</main></body></html>\n",
        "signin": """
            {{> head}}
            <p>{{t.signin_intro}}</p>
            {{#failed}}<p class="error" id="error">{{failed}}</p>{{/failed}}
            <form method="post" action="/console/signin">
            <input type="hidden" name="csrf" value="{{signinToken}}">
            <label>{{t.user}} <input name="user" id="user" autocomplete="username" required></label>
            <label>{{t.password}} <input type="password" name="password" id="password" autocomplete="current-password" required></label>
            <button type="submit" id="signin">{{t.signin}}</button></form>
            {{> foot}}
            """,
        "overview": """
            {{> head}}
            <p>{{t.arrived_today}}: <strong id="today">{{today}}</strong></p>
            <h2>{{t.by_form}}</h2>
            <table><tr><th>{{t.form}}</th>{{#states}}<th>{{.}}</th>{{/states}}<th>{{t.total}}</th></tr>
            {{#forms}}<tr><td>{{name}}</td>{{#counts}}<td>{{.}}</td>{{/counts}}<td>{{total}}</td></tr>{{/forms}}</table>
            <h2>{{t.by_enumerator}}</h2>
            <table><tr><th>{{t.enumerator}}</th>{{#states}}<th>{{.}}</th>{{/states}}<th>{{t.total}}</th></tr>
            {{#enumerators}}<tr><td>{{name}}</td>{{#counts}}<td>{{.}}</td>{{/counts}}<td>{{total}}</td></tr>{{/enumerators}}</table>
            <h2>{{t.by_district}}</h2>
            <table id="by-district"><tr><th>{{t.district}}</th>{{#states}}<th>{{.}}</th>{{/states}}<th>{{t.total}}</th></tr>
            {{#districts}}<tr><td>{{name}}</td>{{#counts}}<td>{{.}}</td>{{/counts}}<td>{{total}}</td></tr>{{/districts}}</table>
            {{> foot}}
            """,
        "queue": """
            {{> head}}
            <p>{{t.queue_intro}}</p>
            {{^rows}}<p id="empty">{{t.queue_empty}}</p>{{/rows}}
            {{#hasRows}}<table id="queue"><tr><th>{{t.record}}</th><th>{{t.form}}</th><th>{{t.enumerator}}</th><th>{{t.state}}</th><th>{{t.created}}</th></tr>
            {{#rows}}<tr><td><a href="/console/records/{{id}}" class="record">{{short}}</a></td><td>{{form}}</td><td>{{owner}}</td><td class="state">{{state}}</td><td>{{created}}</td></tr>{{/rows}}
            </table>{{/hasRows}}
            {{> foot}}
            """,
        "record": """
            {{> head}}
            <p><span id="record-id">{{id}}</span> · {{form}} · {{t.owner}}: {{owner}} · {{t.created}}: {{created}}</p>
            <p>{{t.status}}: {{status}}{{#deleted}} ({{t.deleted}}){{/deleted}} · {{t.state}}: <strong id="review-state">{{state}}</strong></p>
            {{#review}}<section class="review"><h2>{{t.review}}</h2>
            {{#comment}}<p id="review-comment">{{comment}}</p>{{/comment}}
            {{#hasFields}}<h3>{{t.field_comments}}</h3><ul>{{#fields}}<li><strong>{{label}}</strong>: {{text}}</li>{{/fields}}</ul>{{/hasFields}}
            </section>{{/review}}
            {{#hasMissing}}<section class="missing"><h2>{{t.missing_files}}</h2><p>{{t.missing_intro}}</p>
            <ul id="missing-files">{{#missing}}<li>{{name}}: {{received}} / {{size}}</li>{{/missing}}</ul></section>{{/hasMissing}}
            {{#hasConflicts}}<section class="conflicts"><h2>{{t.conflicts}}</h2><p>{{t.conflict_intro}}</p>
            <table><tr><th>{{t.question}}</th><th>{{t.value}}</th><th>{{t.who}}</th><th>{{t.when}}</th><th></th></tr>
            {{#conflicts}}{{#values}}<tr><td>{{label}}</td><td>{{value}}</td><td>{{who}}</td><td>{{when}}</td>
            <td>{{#resolvable}}<form method="post" action="/console/records/{{record}}/resolve"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="field" value="{{field}}"><input type="hidden" name="keep" value="{{version}}"><button type="submit" class="keep">{{t.keep}}</button></form>{{/resolvable}}</td></tr>{{/values}}{{/conflicts}}
            </table></section>{{/hasConflicts}}
            {{#canReview}}<section class="actions"><h2>{{t.review}}</h2>
            <form method="post" action="/console/records/{{id}}/review" id="review-form">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label>{{t.comment}} <textarea name="comment" id="comment" maxlength="2000"></textarea></label>
            <label>{{t.field}} <select name="field" id="field"><option value="">{{t.none}}</option>{{#questions}}<option value="{{name}}">{{label}}</option>{{/questions}}</select></label>
            <label>{{t.field_comment}} <input name="field_comment" id="field-comment" maxlength="2000"></label>
            <button type="submit" name="action" value="approve" id="approve">{{t.approve}}</button>
            <button type="submit" name="action" value="return" id="return">{{t.return}}</button>
            <button type="submit" name="action" value="reject" id="reject">{{t.reject}}</button>
            <button type="submit" name="action" value="reopen" id="reopen">{{t.reopen}}</button>
            </form></section>{{/canReview}}
            <h2>{{t.answers}}</h2>
            <table id="answers"><tr><th>{{t.question}}</th><th>{{t.answer}}</th><th>{{t.history}}</th></tr>
            {{#answers}}<tr><td>{{label}}<br><small>{{path}}</small></td><td class="answer">{{value}}{{#file}} <a href="{{file}}" class="file">{{t.open_file}}</a>{{/file}}</td>
            <td><ul class="history">{{#history}}<li>{{value}} — {{who}}, {{when}}, {{device}}, {{path}}</li>{{/history}}</ul></td></tr>{{/answers}}
            </table>
            {{> foot}}
            """,
        "records": """
            {{> head}}
            <form method="get" action="/console/records" class="filters">
            {{#filters}}<label>{{label}} <select name="{{name}}" id="filter-{{name}}"><option value="">{{t.all}}</option>
            {{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}</select></label>{{/filters}}
            <input type="hidden" name="sort" value="{{sort}}"><input type="hidden" name="order" value="{{order}}">
            <button type="submit" id="filter">{{t.filter}}</button></form>
            <p><span id="count">{{count}}</span> {{t.records_found}} · <a href="/console/records.csv?{{query}}" id="csv">{{t.download_csv}}</a></p>
            <table id="records"><tr>{{#columns}}<th><a href="/console/records?{{link}}">{{label}}{{#current}} {{arrow}}{{/current}}</a></th>{{/columns}}</tr>
            {{#rows}}<tr><td><a href="/console/records/{{id}}" class="record">{{short}}</a></td><td>{{form}}</td><td>{{owner}}</td><td>{{province}}</td><td>{{district}}</td><td>{{status}}</td><td>{{state}}</td><td>{{created}}</td></tr>{{/rows}}
            </table>
            <p class="pages">{{#previous}}<a href="/console/records?{{previous}}" id="previous">← {{t.previous}}</a>{{/previous}}
            {{t.page}} {{page}} / {{pages}}
            {{#next}}<a href="/console/records?{{next}}" id="next">{{t.next}} →</a>{{/next}}</p>
            {{> foot}}
            """,
        "devices": """
            {{> head}}
            <p>{{t.devices_intro}}</p>
            <table id="devices"><tr><th>{{t.device}}</th><th>{{t.user}}</th><th>{{t.site}}</th><th>{{t.last_direct}}</th><th>{{t.last_relayed}}</th><th>{{t.skew}}</th><th>{{t.gaps}}</th><th></th></tr>
            {{#rows}}<tr><td>{{name}}<br><small>{{id}}</small></td><td>{{user}}</td><td>{{site}}</td><td>{{direct}}</td><td>{{relayed}}</td><td class="skew{{#skewed}} error{{/skewed}}">{{skew}}</td><td class="gaps">{{gaps}}</td>
            <td>{{#revoked}}{{t.revoked}}{{/revoked}}{{^revoked}}{{#admin}}<form method="post" action="/console/devices/{{id}}/revoke"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="revoke">{{t.revoke}}</button></form>{{/admin}}{{/revoked}}</td></tr>{{/rows}}
            </table>
            {{> foot}}
            """,
        "users": """
            {{> head}}
            <table id="users"><tr><th>{{t.user}}</th><th>{{t.role}}</th><th></th><th></th></tr>
            {{#rows}}<tr><td>{{name}}</td><td>{{role}}</td>
            <td><form method="post" action="/console/users/{{name}}/{{toggle}}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="{{toggle}}">{{toggleLabel}}</button></form></td>
            <td><form method="post" action="/console/users/{{name}}/password"><input type="hidden" name="csrf" value="{{csrf}}"><input type="password" name="password" minlength="8" autocomplete="new-password" required aria-label="{{t.new_password}}"> <button type="submit">{{t.reset_password}}</button></form></td></tr>{{/rows}}
            </table>
            <h2>{{t.add_user}}</h2>
            <form method="post" action="/console/users" id="add-user"><input type="hidden" name="csrf" value="{{csrf}}">
            <label>{{t.user}} <input name="name" id="new-name" pattern="[A-Za-z0-9_.\\-]{1,64}" required></label>
            <label>{{t.role}} <select name="role" id="new-role"><option value="enumerator">{{t.role_enumerator}}</option><option value="supervisor">{{t.role_supervisor}}</option><option value="admin">{{t.role_admin}}</option></select></label>
            <label>{{t.password}} <input type="password" name="password" id="new-password" minlength="8" autocomplete="new-password" required></label>
            <button type="submit" id="add">{{t.add_user}}</button></form>
            {{> foot}}
            """,
        "forms": """
            {{> head}}
            <table id="forms"><tr><th>{{t.form}}</th><th>{{t.version}}</th><th>{{t.title_col}}</th><th>{{t.published}}</th></tr>
            {{#rows}}<tr><td>{{id}}</td><td>{{version}}</td><td>{{title}}</td><td>{{published}}</td></tr>{{/rows}}
            </table>
            {{#failed}}<p class="error" id="error">{{failed}}</p>{{/failed}}
            {{#admin}}<h2>{{t.publish}}</h2><p>{{t.publish_intro}}</p>
            <form method="post" action="/console/forms" enctype="multipart/form-data" id="publish-form"><input type="hidden" name="csrf" value="{{csrf}}">
            <label>{{t.workbook}} <input type="file" name="workbook" id="workbook" accept=".xlsx,.json" required></label>
            <label>{{t.form_media}} <input type="file" name="media[]" id="media" accept=".csv,.xml,.geojson" multiple></label>
            <button type="submit" id="publish">{{t.publish}}</button></form>{{/admin}}
            {{> foot}}
            """,
        "error": """
            {{> head}}
            <p class="error" id="error">{{message}}</p>
            <p><a href="/console">{{t.back}}</a></p>
            {{> foot}}
            """,
    ]

    static let css = """
        body { font-family: sans-serif; margin: 0; color: #222; }
        header { background: #0b4f6c; color: #fff; padding: .5em 1em; display: flex; gap: 1em; align-items: center; flex-wrap: wrap; }
        header a, header .who { color: #fff; }
        header .lang { margin-left: auto; }
        main { padding: 1em; max-width: 70em; }
        table { border-collapse: collapse; margin: .5em 0 1em; }
        th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
        label { display: block; margin: .5em 0; }
        textarea { width: 100%; min-height: 4em; }
        .inline { display: inline; }
        .filters label { display: inline-block; margin-right: 1em; }
        .error { color: #a00; font-weight: bold; }
        .notice { background: #e8f4ea; padding: .5em; }
        .history { margin: 0; padding-left: 1em; font-size: .85em; color: #555; }
        button { margin: .3em .3em 0 0; }
        """
}
