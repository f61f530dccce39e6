-- description: Audit columns created_at and updated_at on organizations, users and roles (PostgreSQL keeps updated_at current with a trigger, MySQL with ON UPDATE)
-- depends: 2025.01.26.093000_initial_schema, 2025.01.26.094500_user_roles
-- tags: audit
-- +up
-- Portable form (SQLite cannot ADD COLUMN with a non-constant default such as CURRENT_TIMESTAMP),
-- so the columns are added nullable and existing rows are stamped once.
ALTER TABLE organizations ADD COLUMN created_at TIMESTAMP NULL;
ALTER TABLE organizations ADD COLUMN updated_at TIMESTAMP NULL;
UPDATE organizations SET created_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP;
ALTER TABLE users ADD COLUMN created_at TIMESTAMP NULL;
ALTER TABLE users ADD COLUMN updated_at TIMESTAMP NULL;
UPDATE users SET created_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP;
ALTER TABLE roles ADD COLUMN created_at TIMESTAMP NULL;
ALTER TABLE roles ADD COLUMN updated_at TIMESTAMP NULL;
UPDATE roles SET created_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP;
-- +down
ALTER TABLE roles DROP COLUMN updated_at;
ALTER TABLE roles DROP COLUMN created_at;
ALTER TABLE users DROP COLUMN updated_at;
ALTER TABLE users DROP COLUMN created_at;
ALTER TABLE organizations DROP COLUMN updated_at;
ALTER TABLE organizations DROP COLUMN created_at;
-- +verify
SELECT id, created_at, updated_at FROM organizations WHERE 1 = 0;
SELECT id, created_at, updated_at FROM users WHERE 1 = 0;
SELECT id, created_at, updated_at FROM roles WHERE 1 = 0;
-- +up postgresql
ALTER TABLE organizations
    ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE users
    ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE roles
    ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP;
-- Shared trigger function, also used by later migrations (projects, subscriptions).
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_roles_updated_at BEFORE UPDATE ON roles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- +down postgresql
DROP TRIGGER trg_roles_updated_at ON roles;
DROP TRIGGER trg_users_updated_at ON users;
DROP TRIGGER trg_organizations_updated_at ON organizations;
DROP FUNCTION set_updated_at();
ALTER TABLE roles DROP COLUMN updated_at, DROP COLUMN created_at;
ALTER TABLE users DROP COLUMN updated_at, DROP COLUMN created_at;
ALTER TABLE organizations DROP COLUMN updated_at, DROP COLUMN created_at;
-- +up mysql
ALTER TABLE organizations
    ADD COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6);
ALTER TABLE users
    ADD COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6);
ALTER TABLE roles
    ADD COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6);
-- +up mssql
ALTER TABLE organizations ADD
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_organizations_created_at DEFAULT SYSUTCDATETIME(),
    updated_at DATETIME2(3) NOT NULL CONSTRAINT df_organizations_updated_at DEFAULT SYSUTCDATETIME();
ALTER TABLE users ADD
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_users_created_at DEFAULT SYSUTCDATETIME(),
    updated_at DATETIME2(3) NOT NULL CONSTRAINT df_users_updated_at DEFAULT SYSUTCDATETIME();
ALTER TABLE roles ADD
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_roles_created_at DEFAULT SYSUTCDATETIME(),
    updated_at DATETIME2(3) NOT NULL CONSTRAINT df_roles_updated_at DEFAULT SYSUTCDATETIME();
-- +down mssql
ALTER TABLE roles DROP CONSTRAINT df_roles_updated_at;
ALTER TABLE roles DROP CONSTRAINT df_roles_created_at;
ALTER TABLE roles DROP COLUMN updated_at, created_at;
ALTER TABLE users DROP CONSTRAINT df_users_updated_at;
ALTER TABLE users DROP CONSTRAINT df_users_created_at;
ALTER TABLE users DROP COLUMN updated_at, created_at;
ALTER TABLE organizations DROP CONSTRAINT df_organizations_updated_at;
ALTER TABLE organizations DROP CONSTRAINT df_organizations_created_at;
ALTER TABLE organizations DROP COLUMN updated_at, created_at;
