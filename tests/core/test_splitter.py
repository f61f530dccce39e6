"""Statement splitting (SPEC §1: strings, comments, dollar quotes, BEGIN…END bodies, GO)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexo_studio.core.model import DIALECTS, Statement
from nexo_studio.core.splitter import _scan, _split_chunks, _split_plain, split_sql

ALL = [None, *DIALECTS]


def sqls(text: str, dialect: str | None = None) -> list[str]:
    return [s.sql for s in split_sql(text, dialect)]


# --- strings, identifiers, comments -------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL)
def test_semicolons_in_single_quoted_strings_with_doubled_quotes(dialect):
    text = "INSERT INTO t VALUES ('a;b', 'it''s; fine', '');\nSELECT 2;"
    assert sqls(text, dialect) == [
        "INSERT INTO t VALUES ('a;b', 'it''s; fine', '')",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", ALL)
def test_semicolons_in_double_quoted_identifiers(dialect):
    assert sqls('SELECT "a;b", "x"";y" FROM t; SELECT 2', dialect) == [
        'SELECT "a;b", "x"";y" FROM t',
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", [None, "sqlite", "mysql"])
def test_semicolons_in_backtick_identifiers(dialect):
    assert sqls("SELECT `a;b` FROM `t;1`; SELECT 2", dialect) == [
        "SELECT `a;b` FROM `t;1`",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", ["postgresql", "mssql"])
def test_backticks_quote_nothing_where_the_dialect_has_none(dialect):
    # psql and the server read a backtick as a stray character: the `;` after it ends the statement
    assert sqls("SELECT `a; SELECT 2 -- x`\n", dialect) == ["SELECT `a", "SELECT 2 -- x`"]


@pytest.mark.parametrize("dialect", [None, "sqlite", "mssql"])
def test_semicolons_in_bracket_identifiers(dialect):
    assert sqls("SELECT [a;b] FROM [dbo].[t;1]; SELECT 2", dialect) == [
        "SELECT [a;b] FROM [dbo].[t;1]",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", ALL)
def test_semicolons_in_line_and_block_comments(dialect):
    text = (
        "SELECT 1 -- not here; nor here\n"
        "  + 1 /* a; b;\n c */ FROM t;\n"
        "SELECT 2;"
    )
    assert sqls(text, dialect) == [
        "SELECT 1 -- not here; nor here\n  + 1 /* a; b;\n c */ FROM t",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", ALL)
def test_comment_only_pieces_are_dropped_and_leading_comments_stripped(dialect):
    text = (
        "-- a header comment; with a semicolon\n"
        "/* a block; comment */\n"
        "CREATE TABLE t (id INT);\n"
        "-- trailing comment\n"
        ";\n"
        "  ;  \n"
        "/* only a comment */;\n"
    )
    statements = split_sql(text, dialect)
    assert statements == [Statement("CREATE TABLE t (id INT)", 3)]


def test_mysql_backslash_escapes_and_hash_comments():
    text = "INSERT INTO t VALUES ('it\\'s; here', \"q\\\"; \"); # comment; here\nSELECT 2"
    assert sqls(text, "mysql") == [
        "INSERT INTO t VALUES ('it\\'s; here', \"q\\\"; \")",
        "SELECT 2",
    ]


def test_backslash_is_plain_text_outside_mysql():
    # standard_conforming_strings: 'C:\' is a complete string on PostgreSQL and SQLite
    for dialect in ("postgresql", "sqlite", None):
        assert sqls("INSERT INTO t VALUES ('C:\\'); SELECT 2", dialect) == [
            "INSERT INTO t VALUES ('C:\\')",
            "SELECT 2",
        ]


def test_postgresql_escape_string():
    assert sqls("SELECT E'it\\'s; x', e'\\\\'; SELECT 2", "postgresql") == [
        "SELECT E'it\\'s; x', e'\\\\'",
        "SELECT 2",
    ]


def test_postgresql_nested_block_comments():
    assert sqls("SELECT 1 /* a /* b; */ still comment; */; SELECT 2", "postgresql") == [
        "SELECT 1 /* a /* b; */ still comment; */",
        "SELECT 2",
    ]


def test_mysql_executable_comments_are_statements():
    text = "/*!40101 SET NAMES utf8mb4 */;\n/* plain */;\nSELECT 1;"
    assert sqls(text, "mysql") == ["/*!40101 SET NAMES utf8mb4 */", "SELECT 1"]


@pytest.mark.parametrize("dialect", ALL)
def test_unterminated_string_keeps_the_rest_as_one_statement(dialect):
    assert sqls("SELECT 1; SELECT 'oops; SELECT 3", dialect) == ["SELECT 1", "SELECT 'oops; SELECT 3"]


@pytest.mark.parametrize("dialect", ALL)
def test_parameter_like_text_is_untouched(dialect):
    text = "SELECT '%s', 100 % 7, ? AS q, :name, :1 FROM t WHERE a LIKE '50%';\nSELECT '%(x)s'"
    assert sqls(text, dialect) == [
        "SELECT '%s', 100 % 7, ? AS q, :name, :1 FROM t WHERE a LIKE '50%'",
        "SELECT '%(x)s'",
    ]


# --- dollar quoting -----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", [None, "postgresql"])
def test_dollar_quoted_body(dialect):
    text = "CREATE FUNCTION one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2;"
    assert sqls(text, dialect) == [
        "CREATE FUNCTION one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
        "SELECT 2",
    ]


def test_plpgsql_function_with_tagged_dollar_quotes_and_nested_semicolons():
    text = """\
CREATE OR REPLACE FUNCTION audit() RETURNS trigger AS $body$
DECLARE
    n integer;
BEGIN
    n := 1;
    EXECUTE $q$INSERT INTO log VALUES ('x;y')$q$;
    IF NEW.a IS NULL THEN
        RAISE EXCEPTION 'a is null; refusing';
    END IF;
    RETURN NEW;
END;
$body$ LANGUAGE plpgsql;

DO $$ BEGIN PERFORM audit(); END $$;
CREATE TRIGGER t_audit BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit();
"""
    statements = split_sql(text, "postgresql", first_line=10)
    assert [s.line for s in statements] == [10, 23, 24]
    assert statements[0].sql.startswith("CREATE OR REPLACE FUNCTION audit()")
    assert statements[0].sql.endswith("$body$ LANGUAGE plpgsql")
    assert statements[1].sql == "DO $$ BEGIN PERFORM audit(); END $$"
    assert statements[2].sql.startswith("CREATE TRIGGER t_audit")


def test_dollar_sign_inside_a_name_is_not_a_quote():
    assert sqls("SELECT a$b$c FROM t; SELECT 2", "postgresql") == ["SELECT a$b$c FROM t", "SELECT 2"]


def test_positional_parameters_are_not_dollar_quotes():
    text = "CREATE FUNCTION f(int) RETURNS int AS 'SELECT $1 + 1' LANGUAGE sql; SELECT $1;"
    assert len(split_sql(text, "postgresql")) == 2


# --- BEGIN … END bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", [None, "sqlite"])
def test_sqlite_trigger_body(dialect):
    text = """\
CREATE TRIGGER users_touch AFTER UPDATE ON users
FOR EACH ROW WHEN NEW.name <> OLD.name
BEGIN
    UPDATE users SET updated = CASE WHEN 1 THEN CURRENT_TIMESTAMP END WHERE id = NEW.id;
    INSERT INTO log (msg) VALUES ('renamed; ok');
END;
create temp trigger t2 after insert on users begin select raise(abort, 'no'); end;
SELECT 3;
"""
    statements = split_sql(text, dialect)
    assert [s.line for s in statements] == [1, 7, 8]
    assert statements[0].sql.endswith("VALUES ('renamed; ok');\nEND")
    assert statements[1].sql == "create temp trigger t2 after insert on users begin select raise(abort, 'no'); end"


@pytest.mark.parametrize("dialect", [None, "mysql"])
def test_mysql_procedure_with_nested_blocks_case_and_loops(dialect):
    text = """\
CREATE DEFINER=`root`@`%` PROCEDURE grade(IN score INT, OUT result VARCHAR(10))
BEGIN
    DECLARE i INT DEFAULT 0;
    inner_block: BEGIN
        SET result = CASE WHEN score > 90 THEN 'A' ELSE 'B' END;
    END inner_block;
    CASE score
        WHEN 0 THEN SET result = 'zero';
        ELSE BEGIN SET result = result; END;
    END CASE;
    IF score < 0 THEN
        SET result = 'neg';
    ELSEIF score > 100 THEN
        SET result = 'big';
    END IF;
    WHILE i < 3 DO SET i = i + 1; END WHILE;
    REPEAT SET i = i - 1; UNTIL i = 0 END REPEAT;
    lbl: LOOP LEAVE lbl; END LOOP lbl;
END;
CALL grade(95, @r);
"""
    statements = split_sql(text, dialect)
    assert len(statements) == 2
    assert statements[0].sql.endswith("END LOOP lbl;\nEND")
    assert statements[1] == Statement("CALL grade(95, @r)", 20)


@pytest.mark.parametrize("dialect", [None, "mysql"])
def test_mysql_trigger_for_each_row(dialect):
    text = (
        "CREATE TRIGGER bi BEFORE INSERT ON t FOR EACH ROW BEGIN\n"
        "  SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 0 END;\n"
        "  IF NEW.c IS NULL THEN SET NEW.c = 2; END IF;\n"
        "END;\n"
        "INSERT INTO t (b) VALUES (1);"
    )
    assert len(sqls(text, dialect)) == 2


def test_postgresql_begin_atomic_body():
    text = (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; "
        "SELECT CASE WHEN true THEN 2 END; END; SELECT 3;"
    )
    assert len(sqls(text, "postgresql")) == 2


@pytest.mark.parametrize("dialect", ALL)
@pytest.mark.parametrize(
    "begin",
    [
        "BEGIN",
        "begin",
        "BEGIN TRANSACTION",
        "BEGIN WORK",
        "BEGIN TRAN",
        "BEGIN IMMEDIATE TRANSACTION",
        "BEGIN ISOLATION LEVEL SERIALIZABLE",
        "BEGIN READ WRITE",
        "BEGIN /* tx */ TRANSACTION",
    ],
)
def test_transaction_begin_is_not_a_block(dialect, begin):
    text = f"{begin};\nINSERT INTO t VALUES (1);\nCOMMIT;\nSELECT 2;"
    assert sqls(text, dialect) == [begin, "INSERT INTO t VALUES (1)", "COMMIT", "SELECT 2"]


@pytest.mark.parametrize("dialect", ALL)
def test_column_named_begin_or_end_does_not_open_a_block(dialect):
    text = "CREATE TABLE slots (id INT, begin INT, end INT); INSERT INTO slots VALUES (1, 2, 3);"
    assert len(sqls(text, dialect)) == 2


@pytest.mark.parametrize("dialect", ALL)
def test_case_expression_outside_a_block(dialect):
    assert sqls("SELECT CASE WHEN a THEN 1 END AS x FROM t; SELECT 2", dialect) == [
        "SELECT CASE WHEN a THEN 1 END AS x FROM t",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", [None, "mssql"])
def test_tsql_blocks_without_go(dialect):
    text = (
        "IF OBJECT_ID('t') IS NULL BEGIN CREATE TABLE t (a INT); INSERT INTO t VALUES (1); END\n"
        "ELSE BEGIN PRINT 'exists'; END;\n"
        "BEGIN TRY SELECT 1/0; END TRY BEGIN CATCH SELECT 2; END CATCH;\n"
        "SELECT 3;"
    )
    assert len(sqls(text, dialect)) == 3


# --- DELIMITER ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", [None, "mysql"])
def test_delimiter_directive(dialect):
    text = """\
DELIMITER //
CREATE PROCEDURE p()
BEGIN
  SELECT 1; SELECT 2;
END //
DELIMITER ;
SELECT 3;
DELIMITER $$
CREATE FUNCTION f() RETURNS INT RETURN 1$$
delimiter ;
SELECT 4;
"""
    statements = split_sql(text, dialect)
    assert statements == [
        Statement("CREATE PROCEDURE p()\nBEGIN\n  SELECT 1; SELECT 2;\nEND", 2),
        Statement("SELECT 3", 7),
        Statement("CREATE FUNCTION f() RETURNS INT RETURN 1", 9),
        Statement("SELECT 4", 11),
    ]


def test_delimiter_inside_a_statement_is_not_a_directive():
    text = "COPY t FROM '/tmp/x.csv' WITH\nDELIMITER ';'\nCSV;\nSELECT 2;"
    assert sqls(text, None) == ["COPY t FROM '/tmp/x.csv' WITH\nDELIMITER ';'\nCSV", "SELECT 2"]


# --- GO on mssql --------------------------------------------------------------------------------


def test_mssql_go_batches_are_sent_whole():
    text = """\
CREATE TABLE t (a INT);
INSERT INTO t VALUES (1);
GO
CREATE PROCEDURE p AS
BEGIN
    SELECT 1;
    SELECT 2;
END
go
  Go  \r
CREATE VIEW v AS SELECT a FROM t
GO
"""
    statements = split_sql(text, "mssql", first_line=5)
    assert statements == [
        Statement("CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);", 5),
        Statement("CREATE PROCEDURE p AS\nBEGIN\n    SELECT 1;\n    SELECT 2;\nEND", 8),
        Statement("CREATE VIEW v AS SELECT a FROM t", 15),
    ]


def test_mssql_go_inside_strings_and_comments_does_not_split():
    text = "SELECT 'a\nGO\nb';\n/*\nGO\n*/\nSELECT 2;\n-- GO\nGO\nSELECT 3"
    # a batch is sent as written: its trailing comment stays, only leading comments go
    assert sqls(text, "mssql") == ["SELECT 'a\nGO\nb';\n/*\nGO\n*/\nSELECT 2;\n-- GO", "SELECT 3"]


def test_mssql_without_go_splits_on_semicolons():
    assert sqls("SELECT 1; SELECT 'GO'; SELECT [go]", "mssql") == ["SELECT 1", "SELECT 'GO'", "SELECT [go]"]


def test_mssql_go_only_in_a_string_falls_back_to_semicolons():
    assert sqls("SELECT 'x\nGO\n'; SELECT 2", "mssql") == ["SELECT 'x\nGO\n'", "SELECT 2"]


@pytest.mark.parametrize("dialect", [None, "sqlite", "postgresql", "mysql"])
def test_go_is_plain_text_on_other_dialects(dialect):
    assert sqls("SELECT 1;\nGO\nSELECT 2;", dialect) == ["SELECT 1", "GO\nSELECT 2"]


def test_go_with_a_count_is_not_a_separator():
    # `GO 2` (repeat the batch) is not supported: it stays in the text, where the server rejects it
    assert sqls("SELECT 1\nGO 2\nSELECT 2", "mssql") == ["SELECT 1\nGO 2\nSELECT 2"]


def test_mariadb_is_mysql():
    assert sqls("SELECT 'a\\';'; SELECT 2", "mariadb") == ["SELECT 'a\\';'", "SELECT 2"]


# --- line numbers -------------------------------------------------------------------------------


def test_line_numbers_count_from_first_line_and_skip_leading_comments():
    text = "\n\n  -- comment\n  CREATE TABLE a (id INT);\n\n/* x\n y */ INSERT INTO a\nVALUES (1); SELECT 1;\n"
    assert split_sql(text, None, first_line=7) == [
        Statement("CREATE TABLE a (id INT)", 10),
        Statement("INSERT INTO a\nVALUES (1)", 13),
        Statement("SELECT 1", 14),
    ]


@pytest.mark.parametrize("dialect", ALL)
def test_line_numbers_with_crlf(dialect):
    text = "SELECT 1;\r\n\r\nSELECT 'a\r\nb';\r\nSELECT 3"
    assert [(s.sql, s.line) for s in split_sql(text, dialect, 2)] == [
        ("SELECT 1", 2),
        ("SELECT 'a\r\nb'", 4),
        ("SELECT 3", 6),
    ]


def test_empty_and_blank_text():
    for dialect in ALL:
        assert split_sql("", dialect) == []
        assert split_sql("  \n\t\n", dialect) == []
        assert split_sql("-- nothing\n/* at all */\n;;", dialect) == []


def test_no_catastrophic_backtracking_on_comment_rules():
    text = "CREATE TRIGGER x AFTER INSERT ON t BEGIN -- " + "-" * 200 + "\nSELECT 1; END; SELECT 2"
    assert len(split_sql(text, None)) == 2


# --- properties ---------------------------------------------------------------------------------

_word = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
_string_body = st.text(alphabet="ab ;-*/$#\"`[]%?:", max_size=12)


@st.composite
def _statement(draw) -> str:
    """A simple statement whose text may contain every splitting hazard inside quotes."""
    kind = draw(st.integers(0, 4))
    word = draw(_word)
    if kind == 0:
        return f"SELECT {draw(st.integers(0, 999))}"
    if kind == 1:
        body = draw(_string_body).replace("'", "''")
        return f"INSERT INTO {word} VALUES ('{body}')"
    if kind == 2:
        body = draw(_string_body).replace('"', '""')
        return f'SELECT "{body}" FROM {word}'
    if kind == 3:
        comment = draw(_string_body).replace("*", "")  # no comment ends or nests early
        return f"SELECT 1 /* {comment} */ + 2 -- {comment}\n FROM {word}"
    return f"UPDATE {word} SET v = 'it''s' || ' ; '\nWHERE id = {draw(st.integers(0, 9))}"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_statement(), max_size=8),
    st.lists(st.sampled_from(["", "\n", "\n\n", " ", "\n-- note; x\n"]), min_size=9, max_size=9),
    st.sampled_from(ALL),
    st.integers(1, 50),
)
def test_property_joined_statements_split_back(statements, gaps, dialect, first_line):
    text = gaps[0]
    expected = []
    for statement, gap in zip(statements, gaps[1:]):
        text += gap
        # the statement starts after the gap; a gap ending in a comment line ends with "\n"
        expected.append(Statement(statement, first_line + text.count("\n")))
        text += statement + ";"
    assert split_sql(text, dialect, first_line) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abc ;\n\t", max_size=60), st.integers(1, 5))
def test_property_plain_fast_path_agrees_with_scanner(text, first_line):
    assert _split_plain(text, first_line) == _scan(text, None, first_line, False, False, False)[0]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab ;'\"`-\n\t\x01", max_size=60), st.sampled_from(ALL), st.integers(1, 5))
def test_property_chunk_fast_path_agrees_with_scanner(text, dialect, first_line):
    expected = _scan(text, dialect, first_line, False, False, False)[0]
    assert _split_chunks(text, first_line, dialect) == expected
    assert split_sql(text, dialect, first_line) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"ab ;'\"`[]$-/*#\\\n", "BEGIN ", " END", "CASE ", "\nGO\n", "\nDELIMITER //\n", "//"]
        ),
        max_size=40,
    ).map("".join),
    st.sampled_from(ALL),
)
def test_property_never_fails_and_statements_come_from_the_text(text, dialect):
    lines = text.count("\n") + 1
    for statement in split_sql(text, dialect):
        assert statement.sql and statement.sql == statement.sql.strip()
        assert statement.sql in text
        assert 1 <= statement.line <= lines


# --- a generic section is split by the TARGET dialect's rules (issue item 1) ------------------


def _generic(text: str):
    from nexo_studio.core.model import Migration, Section

    section = Section(kind="up", dialect=None, text=text, line=2)
    return Migration(id="x", version="v", name="x", path=None, kind="sql", sections=(section,))


def test_generic_section_sent_to_mariadb_has_hash_comments():
    m = _generic("# disabled for now: TRUNCATE notes; DELETE FROM customers;\nSELECT 1;")
    assert [s.sql for s in m.statements("up", "mariadb")] == ["SELECT 1"]
    assert [s.sql for s in m.statements("up", "mysql")] == ["SELECT 1"]
    # elsewhere `#` is no comment: the server, not the splitter, rejects it
    assert len(m.statements("up", "postgresql")) == 3


def test_generic_section_sent_to_mariadb_has_backslash_escapes():
    m = _generic("INSERT INTO t VALUES ('it\\'s; x');\nSELECT 2;")
    assert [s.sql for s in m.statements("up", "mariadb")] == ["INSERT INTO t VALUES ('it\\'s; x')", "SELECT 2"]
    assert len(m.statements("up", "sqlite")) == 2  # the string ends at `\'`


def test_generic_section_sent_to_postgresql_nests_comments():
    m = _generic("/* off: /* note */ DROP TABLE t; */\nSELECT 1;")
    assert [s.sql for s in m.statements("up", "postgresql")] == ["SELECT 1"]
    assert [s.sql for s in m.statements("up", "sqlite")] == ["DROP TABLE t", "*/\nSELECT 1"]


def test_mysql_dashes_need_a_space_or_control_character():
    m = _generic("SELECT 1--1;\nSELECT 2 --\tx; y\n;")
    assert [s.sql for s in m.statements("up", "mariadb")] == ["SELECT 1--1", "SELECT 2 --\tx; y"]
    assert [s.sql for s in m.statements("up", "postgresql")] == ["SELECT 1--1;\nSELECT 2 --\tx; y"]


def test_split_is_cached_per_target_dialect():
    m = _generic("SELECT 1; # x; y\n")
    assert m.statements("up", "mysql") is m.statements("up", "mariadb")
    assert m.statements("up", "sqlite") is m.statements("up", "sqlite")
    assert m.statements("up", "sqlite") != m.statements("up", "mysql")
    assert m.statements("up", None) == m.sections[0].statements  # generic rules


def test_mariadb_executable_comments_are_code_and_a_section_of_them_is_not_empty():
    from nexo_studio.core.model import has_code

    text = "/*M!100100 SET @a = 1 */;\n/*!40101 SET @b = 2 */;\n/* plain */;"
    assert sqls(text, "mysql") == ["/*M!100100 SET @a = 1 */", "/*!40101 SET @b = 2 */"]
    assert has_code("/*!40000 INSERT INTO t VALUES (1) */;\n")
    assert not has_code("/* plain */;\n")


# --- what a text leaves open (section markers inside strings, issue item 13) -------------------

from nexo_studio.core.lexer import _open_construct_scan, open_construct, open_constructs  # noqa: E402
from nexo_studio.core.model import AGREED_AND_CLOSED, agreed_and_closed  # noqa: E402

_HAZARDS = st.lists(
    st.sampled_from([*"ab ;'\"`[]$-/*#\\\nEq", "$$", "$q$", "/*", "*/", "--", "-- ", "E'"]),
    max_size=25,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(_HAZARDS, st.sampled_from(ALL))
def test_property_open_construct_agrees_with_the_splitter(text, dialect):
    """Closed at the end of the text exactly when a statement after it is split off alone."""
    statements = split_sql(text + "\n;SELECT 99;", dialect)
    closed = bool(statements) and statements[-1].sql == "SELECT 99"
    assert (open_construct(text, dialect) is None) == closed
    assert (_open_construct_scan(text, dialect) is None) == closed


@settings(max_examples=600, deadline=None)
@given(_HAZARDS)
def test_property_agreed_and_closed_fast_path_is_closed_on_every_dialect(text):
    found = open_constructs(text, ALL)
    if AGREED_AND_CLOSED.fullmatch(text):
        assert set(found.values()) == {None}
    assert found == {d: _open_construct_scan(text, d) for d in ALL}


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_HAZARDS, st.lists(st.sampled_from([*"ab ;'(),-/\n"]), max_size=40).map("".join)),
       st.integers(0, 45), st.integers(0, 45))
def test_property_agreed_and_closed_is_the_regex_on_any_slice(text, a, b):
    """Counting quotes (texts without the characters that need the regex) decides as the regex."""
    end = min(max(a, b), len(text))
    start = min(a, b, end)
    assert agreed_and_closed(text, start, end) == (AGREED_AND_CLOSED.fullmatch(text, start, end) is not None)
    assert agreed_and_closed(text[start:end]) == (AGREED_AND_CLOSED.fullmatch(text[start:end]) is not None)


@pytest.mark.parametrize(("text", "closed"), [
    ("INSERT INTO t VALUES (1, 'a'), (2, 'b');", True), ("SELECT 'a", False), ("SELECT 1 - 2 / 3;", True),
    ("SELECT 'it''s';", True), ("SELECT '--';", True), ("SELECT 1; -- 'x", True), ("SELECT 1; --'x", False),
    ("SELECT '/*' ;", True), ("SELECT \"a'b\";", True), ("SELECT 'a\\';", False), ("SELECT 1 -", True),
])
def test_agreed_and_closed_examples(text, closed):
    assert agreed_and_closed(text) is closed
    assert agreed_and_closed("-- +up\n" + text + "\n", 7, 8 + len(text)) is closed


def test_open_construct_names_what_is_open():
    assert open_construct("SELECT 'a\n", None) == "string"
    assert open_construct("SELECT 'it\\'s\n", "mysql") == "string"
    assert open_construct("SELECT 'it\\'s\n", "postgresql") is None
    assert open_construct("/* a /* b */\n", "postgresql") == "block comment"
    assert open_construct("/* a /* b */\n", "sqlite") is None
    assert open_construct("AS $body$ x\n", "postgresql") == "dollar-quoted body"
    assert open_construct("AS $body$ x\n", "mysql") is None
    assert open_construct("SELECT [a\n", "mssql") == "quoted identifier"
    assert open_construct("SELECT 1 --x '\n", "mysql") == "string"
    assert open_construct("SELECT 1 --x '\n", "sqlite") is None
