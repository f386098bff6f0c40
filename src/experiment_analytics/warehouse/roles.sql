-- Least-privilege roles for the warehouse: `experiment-analytics roles create` runs this on the
-- embedded server (after creating the two login roles); README "Roles" shows it for your own.
-- {builder} runs dbt, {reader} is what Metabase connects as. Idempotent.

-- The builder: connects, creates the schemas dbt needs, uses temporary tables (incremental
-- models), owns the models' schema.
grant connect, create, temporary on database {database} to {builder};
create schema if not exists {schema} authorization {builder};
alter schema {schema} owner to {builder};
-- It reads the exp sources (also tables created there later) and builds the three exp views.
grant usage, create on schema {exp_schema} to {builder};
grant select on all tables in schema {exp_schema} to {builder};
alter default privileges in schema {exp_schema} grant select on tables to {builder};

-- The reader: connects and may look into the two schemas; it can SELECT only what dbt grants it
-- on every build (dbt_project.yml `+grants`: the marts, the exp views, stg_exp__events).
grant connect on database {database} to {reader};
grant usage on schema {schema}, {exp_schema} to {reader};
-- No scratch space either: temporary tables only for whoever is granted them (the builder).
revoke temporary on database {database} from public;
revoke create on schema public from public;
