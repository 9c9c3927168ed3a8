-- A read-only role for Grafana. Runs once, as the owner of the pitstop database, before
-- migrations create the tables: default privileges then cover every table and view they add.
-- psql variables: reader_role (the role name) and reader_password.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'reader_role', :'reader_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader_role') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader_role') \gexec
GRANT USAGE ON SCHEMA public TO :"reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO :"reader_role";
