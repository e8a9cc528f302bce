import Testing
@testable import Forms

/// A context with fixed answers by name, for expression tests.
struct FixedContext: ExprContext {
    var values: [String: XValue] = [:]
    var current: XValue = .string("")
    var columns: [String: String] = [:]
    var nowMs: Int64 = 1_764_374_400_000  // 2025-11-29T00:00:00Z
    var utcOffsetSeconds = 2 * 3600
    func value(of name: String) -> XValue { values[name] ?? .string("") }
    func column(_ name: String) -> XValue { .string(columns[name] ?? "") }
    /// One row of a `facilities.csv`: name TE-0092, district moatize.
    func pull(instance: String, column: String, keyColumn: String, key: String) -> XValue {
        .string(instance == "facilities" && column == "district" && keyColumn == "name" && key == "TE-0092" ? "moatize" : "")
    }
}

func eval(_ text: String, _ ctx: FixedContext = FixedContext()) throws -> XValue {
    try ExprParser.parse(text).evaluate(in: ctx)
}

@Suite struct ExprParserTests {
    @Test func precedenceFollowsXPath() throws {
        #expect(try eval("1 + 2 * 3").asNumber == 7)
        #expect(try eval("(1 + 2) * 3").asNumber == 9)
        #expect(try eval("10 - 2 - 3").asNumber == 5)
        #expect(try eval("7 mod 4 + 8 div 2").asNumber == 7)
        #expect(try eval("-2 * 3").asNumber == -6)
        #expect(try eval("1 = 1 or 1 = 2 and 1 = 2").asBool)
        #expect(try eval("1 < 2 = 1").asBool)  // (1 < 2) = 1
    }

    @Test func referencesAndCurrent() throws {
        let ctx = FixedContext(values: ["age": .number(30), "name": .string("Ana")], current: .number(5))
        #expect(try eval("${age} >= 18 and . < 10", ctx).asBool)
        #expect(try eval("${ name } = 'Ana'", ctx).asBool)
        #expect(try ExprParser.parse("${a} + ${b} * count(${c})").references == ["a", "b", "c"])
    }

    @Test(arguments: [
        ("1 +", "expression ends too early"),
        ("${a", "unclosed ${"),
        ("'abc", "unclosed string"),
        ("1 ! 2", "'!' must be followed by '='"),
        ("/data/x = 1", "XPath paths are not supported"),
        ("(1 + 2", "expected ')'"),
        ("1 2", "unexpected number"),
        ("# 1", "unexpected character"),
    ])
    func syntaxErrorsSayWhatAndWhere(text: String, message: String) {
        #expect(throws: ExprSyntaxError.self) { try ExprParser.parse(text) }
        do {
            _ = try ExprParser.parse(text)
        } catch {
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func emptyAndComparisonsFollowXPath() throws {
        let ctx = FixedContext(values: ["n": .string("")])
        #expect(try eval("${n} = ''", ctx).asBool)
        #expect(!(try eval("${n} > 3", ctx).asBool))  // NaN compares false
        #expect(try eval("'2026-01-02' > '2025-12-31'").asBool)  // dates compare as days
        #expect(try eval("'10' = 10").asBool)
        #expect(try eval("true() = 'x'").asBool)
    }
}

@Suite struct FunctionTests {
    let ctx = FixedContext(values: [
        "langs": .string("pt en sw"), "empty": .string(""), "txt": .string("Maputo"),
        "list": .list(["2", "3", "5"]),
    ])

    @Test(arguments: [
        ("not(1 = 2)", "true"),
        ("selected(${langs}, 'en')", "true"),
        ("selected(${langs}, 'fr')", "false"),
        ("count-selected(${langs})", "3"),
        ("selected-at(${langs}, 1)", "en"),
        ("string-length(${txt})", "6"),
        ("regex(${txt}, '^Map')", "true"),
        ("regex('MP-0412', '^[A-Z]{2}-[0-9]{4}$')", "true"),
        ("regex('mp0412', '^[A-Z]{2}-[0-9]{4}$')", "false"),
        ("if(1 = 1, 'a', 'b')", "a"),
        ("if(1 = 2, 'a', 'b')", "b"),
        ("coalesce(${empty}, 'fallback')", "fallback"),
        ("coalesce(${txt}, 'fallback')", "Maputo"),
        ("concat('a', 1, ${txt})", "a1Maputo"),
        ("number('3.5') + 1", "4.5"),
        ("int(3.9)", "3"),
        ("int(-3.9)", "-3"),
        ("round(2.5)", "3"),
        ("round(3.14159, 2)", "3.14"),
        ("today()", "2025-11-29"),
        ("string-length(now())", "29"),
        ("boolean('x')", "true"),
        ("string(12)", "12"),
        ("contains(${txt}, 'put')", "true"),
        ("starts-with(${txt}, 'Map')", "true"),
        ("ends-with(${txt}, 'uto')", "true"),
        ("substr(${txt}, 0, 3)", "Map"),
        ("count(${list})", "3"),
        ("sum(${list})", "10"),
        ("floor(2.7)", "2"),
        ("ceiling(2.1)", "3"),
        ("abs(-4)", "4"),
        ("min(4, 2, 9)", "2"),
        ("max(${list})", "5"),
        ("pow(2, 10)", "1024"),
        ("date(0)", "1970-01-01"),
        ("string-length(uuid())", "36"),
        ("normalize-space('  a   b ')", "a b"),
        ("true()", "true"),
        ("false()", "false"),
        ("pulldata('facilities', 'district', 'name', 'TE-0092')", "moatize"),
        ("pulldata('facilities', 'district', 'name', 'XX')", ""),
    ])
    func everyFunction(expression: String, expected: String) throws {
        #expect(try eval(expression, ctx).asString == expected)
    }

    @Test func everyFunctionHasATest() {
        // The list above names each function in Functions.arity at least once.
        let tested = ["not", "selected", "count-selected", "selected-at", "string-length", "regex", "if", "coalesce",
                      "concat", "number", "int", "round", "today", "now", "boolean", "string", "contains",
                      "starts-with", "ends-with", "substr", "count", "sum", "floor", "ceiling", "abs", "min", "max",
                      "pow", "date", "uuid", "normalize-space", "true", "false", "pulldata"]
        #expect(Set(tested) == Set(Functions.arity.keys))
    }

    @Test func arityIsChecked() {
        #expect(Functions.check("if", argumentCount: 2)?.description == "if() takes 3 arguments, not 2")
        #expect(Functions.check("concat", argumentCount: 5) == nil)
        #expect(Functions.check("nosuch", argumentCount: 0)?.description == "unknown function nosuch()")
    }
}
