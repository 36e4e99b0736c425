{#
  Watermark of an incremental model: the largest value of `coluna` already loaded, moved back
  by var('folga_incremental'). Rendered as a scalar subquery, so on a foreign table the
  predicate `updated_at > {{ marca_dagua(...) }}` still reaches the OLTP (postgres_fdw sends
  it as a parameter) and the OLTP answers from its updated_at index.
#}
{% macro marca_dagua(coluna, relacao=this) -%}
    (select coalesce(max({{ coluna }}), '-infinity'::timestamptz) - interval '{{ var("folga_incremental") }}' from {{ relacao }})
{%- endmacro %}

{# The Brazilian calendar day of an instant, as the date dimension's key (yyyymmdd). #}
{% macro chave_data(instante) -%}
    to_char(({{ instante }}) at time zone '{{ var("fuso_horario") }}', 'YYYYMMDD')::int
{%- endmacro %}

{# True when a UF (or 'fora do Brasil') lies outside the states where the store sells. #}
{% macro fora_da_area(uf) -%}
    (({{ uf }}) not in ({% for u in var("ufs_permitidas") %}'{{ u }}'{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{#
  Pre-hook of the big models. postgres_fdw has no row estimate for the foreign tables (about a
  thousand rows, whatever their size), so on a full load the planner may pick a nested loop
  with one index probe per row of a multi-million-row foreign scan. A full load reads whole
  tables: hash and merge joins only. Incremental runs keep nested loops (a few thousand probes
  into the warehouse's indexes is what they should do).
#}
{% macro sem_nested_loop_na_carga_completa() -%}
    set local enable_nestloop = {{ 'on' if is_incremental() else 'off' }}
{%- endmacro %}


{#
  Post-hook of the big models: fresh statistics after a full load (a table created by
  CREATE TABLE AS has none until autovacuum gets to it, and the planner would then scan the
  whole fact where an index answers). Incremental merges add a small share of rows: the
  statistics stay good, and autovacuum keeps them so.
#}
{% macro analisar_apos_carga_completa() -%}
    {%- if not is_incremental() -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
