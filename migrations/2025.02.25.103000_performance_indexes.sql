-- description: Indexes for user search, project lists and the subscription renewal job
-- depends: 2025.02.11.140000_projects, 2025.02.12.091500_subscriptions
-- tags: performance
-- +up
CREATE INDEX ix_users_display_name ON users (display_name);
CREATE INDEX ix_users_created_at ON users (created_at);
CREATE INDEX ix_projects_status_updated_at ON projects (status, updated_at);
-- Partial index: only live subscriptions are scanned by the renewal job.
CREATE INDEX ix_subscriptions_renewal ON subscriptions (current_period_end) WHERE status = 'active';
-- +down
DROP INDEX ix_subscriptions_renewal;
DROP INDEX ix_projects_status_updated_at;
DROP INDEX ix_users_created_at;
DROP INDEX ix_users_display_name;
-- +verify
SELECT id, display_name, created_at FROM users WHERE 1 = 0;
SELECT id, status, updated_at FROM projects WHERE 1 = 0;
SELECT id, status, current_period_end FROM subscriptions WHERE 1 = 0;
-- +verify sqlite
-- INDEXED BY fails when the index is missing (or unusable for the query).
SELECT id FROM users INDEXED BY ix_users_display_name WHERE display_name = 'nobody';
SELECT id FROM users INDEXED BY ix_users_created_at WHERE created_at > '2000-01-01';
SELECT id FROM projects INDEXED BY ix_projects_status_updated_at WHERE status = 'active';
SELECT id FROM subscriptions INDEXED BY ix_subscriptions_renewal WHERE status = 'active' AND current_period_end < '2000-01-01';
-- +verify postgresql
SELECT CAST('ix_users_display_name' AS regclass), CAST('ix_users_created_at' AS regclass),
       CAST('ix_projects_status_updated_at' AS regclass), CAST('ix_subscriptions_renewal' AS regclass);
-- +verify mysql
SELECT id FROM users FORCE INDEX (ix_users_display_name) WHERE 1 = 0;
SELECT id FROM users FORCE INDEX (ix_users_created_at) WHERE 1 = 0;
SELECT id FROM projects FORCE INDEX (ix_projects_status_updated_at) WHERE 1 = 0;
SELECT id FROM subscriptions FORCE INDEX (ix_subscriptions_renewal) WHERE 1 = 0;
-- +up mysql
-- MySQL/MariaDB have no partial indexes: index (status, current_period_end) instead.
CREATE INDEX ix_users_display_name ON users (display_name);
CREATE INDEX ix_users_created_at ON users (created_at);
CREATE INDEX ix_projects_status_updated_at ON projects (status, updated_at);
CREATE INDEX ix_subscriptions_renewal ON subscriptions (status, current_period_end);
-- +down mysql
DROP INDEX ix_subscriptions_renewal ON subscriptions;
DROP INDEX ix_projects_status_updated_at ON projects;
DROP INDEX ix_users_created_at ON users;
DROP INDEX ix_users_display_name ON users;
-- +up mssql
CREATE INDEX ix_users_display_name ON users (display_name);
CREATE INDEX ix_users_created_at ON users (created_at);
CREATE INDEX ix_projects_status_updated_at ON projects (status, updated_at);
-- Filtered index: only live subscriptions are scanned by the renewal job.
CREATE INDEX ix_subscriptions_renewal ON subscriptions (current_period_end) WHERE status = N'active';
-- +down mssql
DROP INDEX ix_subscriptions_renewal ON subscriptions;
DROP INDEX ix_projects_status_updated_at ON projects;
DROP INDEX ix_users_created_at ON users;
DROP INDEX ix_users_display_name ON users;
-- +verify mssql
SELECT id FROM users WITH (INDEX (ix_users_display_name)) WHERE 1 = 0;
SELECT id FROM users WITH (INDEX (ix_users_created_at)) WHERE 1 = 0;
SELECT id FROM projects WITH (INDEX (ix_projects_status_updated_at)) WHERE 1 = 0;
-- A hint on a filtered index can make the plan impossible (error 8622): check the catalog instead,
-- 1 / COUNT(*) raises a divide-by-zero error when the index is missing.
SELECT 1 / COUNT(*) FROM sys.indexes
WHERE object_id = OBJECT_ID(N'subscriptions') AND name = N'ix_subscriptions_renewal';
