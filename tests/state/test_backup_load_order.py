"""The two pieces that make the restore of extensions (PostgreSQL) and check-option views over
views (MariaDB) work: what they read from the archive / dump, and what they send."""

from __future__ import annotations

from nexo_studio.core.backup.mysql_load import order_safe
from nexo_studio.core.backup.pg_extensions import archive_extensions, extension_list, use_list
from tests.reliability.harness import execute, run_cli


def _view(name: str, body: str, check: str | None) -> list[bytes]:
    lines = ["--", f"-- Final view structure for view `{name}`", "--", "",
             f"/*!50001 DROP VIEW IF EXISTS `{name}`*/;",
             "/*!50001 CREATE ALGORITHM=UNDEFINED */",
             f"/*!50001 VIEW `{name}` AS {body} */" + ("" if check else ";")]
    if check:
        lines.append(f"/*!50002 WITH {check} CHECK OPTION */;")
    lines += ["/*!50001 SET collation_connection      = @saved_col_connection */;", ""]
    return [(line + "\n").encode() for line in lines]


HEAD = [b"-- MariaDB dump 10.19\n", b"CREATE TABLE `t` (`id` int);\n", b"\n"]
CLOSING = [b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n", b"\n", b"-- Dump completed on 2026-12-03\n"]


def test_a_dump_without_check_options_goes_through_byte_for_byte():
    dump = HEAD + _view("a", "select 1 AS `x`", None) + _view("b", "select 2 AS `x`", None) + CLOSING
    assert list(order_safe(dump)) == dump


def test_check_options_are_sent_again_after_the_last_view_before_the_closing_lines():
    checked = _view("a_outer", "select `id` from `b_inner`", "CASCADED")
    local = _view("c_local", "select `id` from `b_inner`", "LOCAL")
    dump = HEAD + checked + _view("b_inner", "select `id` from `t`", None) + local + CLOSING
    out = b"".join(order_safe(dump)).decode()
    body = out[:out.index("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE")]
    first = body[:body.rindex("-- Final view structure for view `a_outer`")]
    again = body[len(first):]
    assert "CHECK OPTION" not in first and first.count("CREATE ALGORITHM") == 3  # all three, without it ...
    assert again.count("CREATE ALGORITHM") == 2  # ... then the two again, with it
    assert "WITH CASCADED CHECK OPTION */;" in again and "WITH LOCAL CHECK OPTION */;" in again
    assert again.index("`a_outer`") < again.index("`c_local`")
    assert out.endswith("-- Dump completed on 2026-12-03\n")


def test_a_dump_cut_after_its_views_still_gets_its_check_options():
    dump = HEAD + _view("a", "select `id` from `b`", "CASCADED") + _view("b", "select `id` from `t`", None)
    out = b"".join(order_safe(dump)).decode()
    assert out.rstrip().endswith("collation_connection      = @saved_col_connection */;")
    assert out.count("WITH CASCADED CHECK OPTION") == 1 and out.count("DROP VIEW IF EXISTS `a`") == 2


TOC = """;
; Archive created at 2026-12-03 06:50:00 UTC
8; 2615 29068 SCHEMA - my ext postgres
2; 3079 28963 EXTENSION - citext 
3537; 0 0 COMMENT - EXTENSION citext 
3; 3079 29069 EXTENSION - uuid-ossp 
217; 1259 29197 TABLE public people postgres
"""
SQL = """--
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "my ext";
"""


def test_the_archive_names_each_extensions_schema_and_the_use_list_skips_only_what_was_made():
    assert extension_list(TOC) == "2; 3079 28963 EXTENSION - citext \n3; 3079 29069 EXTENSION - uuid-ossp \n"
    assert archive_extensions(SQL) == {"citext": "public", "uuid-ossp": "my ext"}
    listing = use_list(TOC, ["8"]).splitlines()
    assert listing[2] == ";8; 2615 29068 SCHEMA - my ext postgres"
    assert [line for line in listing if not line.startswith(";")] == TOC.splitlines()[3:]


def test_a_not_relocatable_extension_is_refused_before_anything_changes(make_db, tmp_path, monkeypatch):
    monkeypatch.setenv("NEXO_DATA_DIR", str(tmp_path / "data"))
    url = make_db("postgresql")
    execute(url, "CREATE EXTENSION xml2", "CREATE TABLE kept (id INTEGER)", "INSERT INTO kept VALUES (1)")
    snap = tmp_path / "x.dump"
    assert run_cli("--db", url, "backup", "--out", str(snap))[0] == 0
    execute(url, "INSERT INTO kept VALUES (2)")
    code, out, err = run_cli("--db", url, "restore", str(snap), "--yes")
    assert code != 0 and str(snap) in err and "extension xml2" in err and "not relocatable" in err and "nothing restored" in err, err
    assert execute(url, "SELECT id FROM kept ORDER BY id") == [(1,), (2,)]
    assert execute(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE '\\_\\_nexo%'") == []
    assert [p.name for p in (tmp_path / "data").rglob("restore-*")] == []
