-- Runs once, when the postgres container initialises an empty data volume
-- (/docker-entrypoint-initdb.d). To run it again: docker compose down -v (drops all data).
--
-- One login role and one database per service, same name, password = name (development only),
-- and pg_trgm in each database (the services' prefix and similarity searches use it).
-- Adding a service: add it to the list below and recreate the volume, or run the same
-- statements by hand with psql.

CREATE ROLE customer LOGIN PASSWORD 'customer';
CREATE DATABASE customer OWNER customer;

CREATE ROLE contact LOGIN PASSWORD 'contact';
CREATE DATABASE contact OWNER contact;

CREATE ROLE activity LOGIN PASSWORD 'activity';
CREATE DATABASE activity OWNER activity;

CREATE ROLE search LOGIN PASSWORD 'search';
CREATE DATABASE search OWNER search;

CREATE ROLE portal LOGIN PASSWORD 'portal';
CREATE DATABASE portal OWNER portal;

-- CREATE EXTENSION acts on the current database and needs a superuser (the services migrate as
-- their own role), so it is done here: connect to each database in turn (a psql meta-command;
-- the image's entrypoint runs .sql files with psql). On PostgreSQL 15 the public schema belongs
-- to pg_database_owner, so each role, owning its database, can create its tables there.
\connect customer
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\connect contact
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\connect activity
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\connect search
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\connect portal
CREATE EXTENSION IF NOT EXISTS pg_trgm;
