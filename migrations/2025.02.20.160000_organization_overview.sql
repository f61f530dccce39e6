-- description: Reporting view organization_overview: plan, subscription status, active projects and users per organization
-- depends: 2025.02.11.140000_projects, 2025.02.12.091500_subscriptions
-- tags: reporting
-- +up
CREATE VIEW organization_overview AS
SELECT
    o.id AS organization_id,
    o.name AS organization_name,
    CONCAT(o.name, ' (', o.slug, ')') AS display_label,
    p.code AS plan_code,
    p.name AS plan_name,
    s.status AS subscription_status,
    s.current_period_end,
    (SELECT COUNT(*) FROM projects pr
      WHERE pr.organization_id = o.id AND pr.status = 'active') AS active_projects,
    (SELECT COUNT(*) FROM users u
      WHERE u.organization_id = o.id AND u.is_active = TRUE) AS active_users
FROM organizations o
LEFT JOIN subscriptions s ON s.organization_id = o.id AND s.status IN ('trialing', 'active', 'past_due')
LEFT JOIN plans p ON p.id = s.plan_id;
-- +down
DROP VIEW organization_overview;
-- +verify
SELECT organization_id, organization_name, display_label, plan_code, plan_name, subscription_status,
       current_period_end, active_projects, active_users
FROM organization_overview WHERE 1 = 0;
-- +up sqlite
-- SQLite 3.40 has no CONCAT() (added in 3.44): use the || operator.
CREATE VIEW organization_overview AS
SELECT
    o.id AS organization_id,
    o.name AS organization_name,
    o.name || ' (' || o.slug || ')' AS display_label,
    p.code AS plan_code,
    p.name AS plan_name,
    s.status AS subscription_status,
    s.current_period_end,
    (SELECT COUNT(*) FROM projects pr
      WHERE pr.organization_id = o.id AND pr.status = 'active') AS active_projects,
    (SELECT COUNT(*) FROM users u
      WHERE u.organization_id = o.id AND u.is_active = 1) AS active_users
FROM organizations o
LEFT JOIN subscriptions s ON s.organization_id = o.id AND s.status IN ('trialing', 'active', 'past_due')
LEFT JOIN plans p ON p.id = s.plan_id;
-- +up mssql
CREATE VIEW organization_overview AS
SELECT
    o.id AS organization_id,
    o.name AS organization_name,
    CONCAT(o.name, N' (', o.slug, N')') AS display_label,
    p.code AS plan_code,
    p.name AS plan_name,
    s.status AS subscription_status,
    s.current_period_end,
    (SELECT COUNT(*) FROM projects pr
      WHERE pr.organization_id = o.id AND pr.status = N'active') AS active_projects,
    (SELECT COUNT(*) FROM users u
      WHERE u.organization_id = o.id AND u.is_active = 1) AS active_users
FROM organizations o
LEFT JOIN subscriptions s ON s.organization_id = o.id AND s.status IN (N'trialing', N'active', N'past_due')
LEFT JOIN plans p ON p.id = s.plan_id;
