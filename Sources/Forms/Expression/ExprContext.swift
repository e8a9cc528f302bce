/// What an expression can read while it is evaluated.
public protocol ExprContext {
    /// The answer of question `name`, seen from the current repeat instance.
    func value(of name: String) -> XValue
    /// The answer being checked (`.`).
    var current: XValue { get }
    /// A column of the choice being filtered (choice_filter only).
    func column(_ name: String) -> XValue
    /// Wall time for today() and now(): milliseconds since 1970 and the
    /// offset of the local time zone in seconds.
    var nowMs: Int64 { get }
    var utcOffsetSeconds: Int { get }
    /// pulldata(): see the default below.
    func pull(instance: String, column: String, keyColumn: String, key: String) -> XValue
    /// `instance('x')/root/item[predicate]/column`: see the default below.
    func items(instance: String, predicate: Expr?, column: String?) -> XValue
}

extension ExprContext {
    /// `pulldata(instance, column, keyColumn, key)`: a column of the row of
    /// the form's file `instance.csv` whose `keyColumn` holds `key`; empty
    /// where there is no such file or row.
    public func pull(instance: String, column: String, keyColumn: String, key: String) -> XValue { .string("") }
    /// The rows of the list or file `instance` the predicate keeps, as a
    /// node-set: one column of each, else their names; none where there is
    /// no such list.
    public func items(instance: String, predicate: Expr?, column: String?) -> XValue { .list([]) }
}
