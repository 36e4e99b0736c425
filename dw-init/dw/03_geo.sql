-- The location rule of lib/geo.ts in SQL: which state (UF) a geohash falls in, or 'fora do Brasil'.
--
-- geo.ufs and geo.litoral hold lib/data/ufs-brasil.json and litoral-brasil.json; lib/dw.ts
-- (prepararDw) loads them right after this file (ST_GeomFromGeoJSON, SRID 4326). The function
-- geo.uf_do_geohash follows lib/geo.ts exactly (see lib/data/README.md, "A regra de classificação"):
--   1. point = centre of the geohash cell (ST_PointFromGeoHash, the same centre ngeohash.decode
--      gives), SRID 4326;
--   2. a state polygon containing it, boundary included (ST_Intersects: planar on lon/lat, like
--      turf's booleanPointInPolygon); several (only on a shared border): first UF alphabetically;
--   3. else the state whose coastline is nearest, if within DISTANCIA_LITORAL_KM inclusive
--      (ST_DWithin), distance on the sphere of radius (2a+b)/3 of WGS84 with great-circle edges
--      (geography with use_spheroid = false, RAIO_TERRA_KM of lib/geo.ts); exact tie: first UF;
--   4. else 'fora do Brasil'.
-- The distance limit comes from lib/geo.ts (DISTANCIA_LITORAL_KM) through the session setting
-- liga_sudoers.distancia_litoral_m and is written into the function as a constant, so the rule
-- has one source. tests/integracao/dw.test.ts checks SQL and TypeScript agree on every geohash of the OLTP
-- plus a grid of coastal and border points. Idempotent.
CREATE SCHEMA IF NOT EXISTS geo;
COMMENT ON SCHEMA geo IS 'Divisas e litoral das UFs (lib/data) e a regra de localização de lib/geo.ts em SQL.';

CREATE TABLE IF NOT EXISTS geo.ufs (
  uf   text PRIMARY KEY CHECK (uf ~ '^[A-Z]{2}$'),
  nome text NOT NULL,
  -- No ST_IsValid check: GO's ring touches itself at one corner of DF (an OGC "self-intersection"),
  -- harmless for point-in-polygon, which is all the rule does with it.
  geom geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS ufs_geom_idx ON geo.ufs USING gist (geom);

CREATE TABLE IF NOT EXISTS geo.litoral (
  uf   text PRIMARY KEY REFERENCES geo.ufs (uf),
  geom geometry(MultiLineString, 4326) NOT NULL,
  -- The same line as geography, stored once so the rule does not cast it on every call.
  geog geography(MultiLineString, 4326) GENERATED ALWAYS AS (geom::geography) STORED
);

DO $$
DECLARE
  limite  text := current_setting('liga_sudoers.distancia_litoral_m', true);
  postgis text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis');
BEGIN
  IF coalesce(limite, '') !~ '^[0-9]+(\.[0-9]+)?$' THEN
    RAISE EXCEPTION 'defina liga_sudoers.distancia_litoral_m (DISTANCIA_LITORAL_KM de lib/geo.ts, em metros) antes de aplicar este arquivo';
  END IF;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION geo.uf_do_geohash(hash text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, %1$s
    AS $body$
    DECLARE
      ponto geometry;
      uf    text;
    BEGIN
      -- Same check as auditoria_pedidos.geohash and lib/geo.ts: 1 to 12 base32 characters.
      IF hash !~ '^[0-9b-hjkmnp-z]{1,12}$' THEN
        RAISE EXCEPTION 'Geohash inválido: "%%" (esperado de 1 a 12 caracteres do alfabeto base32 do geohash: 0-9 e letras minúsculas exceto a, i, l, o).', hash
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      ponto := ST_SetSRID(ST_PointFromGeoHash(hash), 4326);
      SELECT u.uf INTO uf FROM geo.ufs u WHERE ST_Intersects(u.geom, ponto) ORDER BY u.uf LIMIT 1;
      IF uf IS NOT NULL THEN
        RETURN uf;
      END IF;
      SELECT l.uf INTO uf FROM geo.litoral l
       WHERE ST_DWithin(l.geog, ponto::geography, %2$s, false)
       ORDER BY ST_Distance(l.geog, ponto::geography, false), l.uf
       LIMIT 1;
      RETURN coalesce(uf, 'fora do Brasil');
    END
    $body$
  $f$, quote_ident(postgis), limite);
END
$$;
COMMENT ON FUNCTION geo.uf_do_geohash(text) IS
  'UF do centro da célula do geohash, ou ''fora do Brasil'' — a mesma regra de lib/geo.ts (ufDoGeohash).';
