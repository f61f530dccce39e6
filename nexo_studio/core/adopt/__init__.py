"""Adopting projects and databases from other migration tools (SPEC §8): importers that turn a
foreign project into nexo migration files, readers of the other tool's state table, the
reconciliation between the two, and the adoption that records it in nexo's own tables."""

TOOLS = ("flyway", "liquibase", "alembic", "sqitch", "golang-migrate", "dbmate")
