-- Extensions of the DW: PostGIS for the location rule (schema geo) and postgres_fdw to read the
-- OLTP in place (schemas oltp and oltp_gabarito). The compose route's postgis image already has
-- postgis; the native stack installs the Debian package and creates it on start. Idempotent.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
