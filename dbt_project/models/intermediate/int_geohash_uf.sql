{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='geohash',
    full_refresh=false,
    indexes=[
      {'columns': ['geohash'], 'unique': True},
    ],
  )
}}
-- The UF of every geohash seen in auditoria_pedidos, by geo.uf_do_geohash — the rule of
-- lib/geo.ts in PostGIS (point in a state's polygon, else the nearest coastline within 30 km,
-- else 'fora do Brasil'). The lookup costs milliseconds per geohash, so this table is a cache
-- that calls it once per distinct geohash, ever: each run reads only the audit rows past the
-- watermark (grouped by geohash on the OLTP) and calls the function only for geohashes not in
-- the table. It runs at the start of a build, beside fato_pedidos; dim_local reads it.
-- `dbt build --full-refresh` keeps this table (a geohash's UF depends only on geo.ufs and
-- geo.litoral): to classify everything again, drop marts.int_geohash_uf and build.
with vistos as (
    select
        geohash,
        max(atualizado_em) as auditoria_atualizada_em
    from {{ ref('stg_auditoria_pedidos') }}
    -- sqlfluff's renderings of the is_incremental() branches disagree on this block's indent.
    where  -- noqa: disable=LT02
        geohash is not null
        {% if is_incremental() %}
        and atualizado_em > {{ marca_dagua('auditoria_atualizada_em') }}
        {% endif %}
    group by geohash  -- noqa: enable=LT02
),

localizados as (
    select
        v.geohash,
        v.auditoria_atualizada_em,
        {% if is_incremental() %}
        -- COALESCE (like CASE) evaluates the function only when the geohash is new.
        coalesce(d.uf, geo.uf_do_geohash(v.geohash)) as uf
        {% else %}
        geo.uf_do_geohash(v.geohash) as uf
        {% endif %}
    from vistos as v
    {% if is_incremental() %}
    left join {{ this }} as d on d.geohash = v.geohash
    -- Skip geohashes re-read only because of the watermark's folga.
    where d.geohash is null or v.auditoria_atualizada_em > d.auditoria_atualizada_em
    {% endif %}
)

select
    geohash,
    uf,
    auditoria_atualizada_em
from localizados
