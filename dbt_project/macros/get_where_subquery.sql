{#
  Tests on the big facts check, inside `dbt build`, only the rows this build wrote: rows
  loaded earlier were tested when they were loaded, and an incremental run should not re-scan
  millions of rows. A test opts in with `config: {where: "__carga_atual__"}`; this macro (dbt's
  documented hook for the `where` config) turns the placeholder into
  "carregado_em >= the instant this dbt invocation started" (an index on carregado_em makes
  it cheap). A full load rewrites every row, so it tests the whole table. `dbt test` (or any
  command with --vars '{testes_completos: true}') tests every row.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__carga_atual__' in where -%}
            {%- set where = where | replace('__carga_atual__', apenas_carga_atual()) -%}
        {%- endif -%}
        {%- set filtrado -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtrado) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The filter itself, also used by the singular tests on the facts. #}
{% macro apenas_carga_atual(alias=none) -%}
    {%- if flags.WHICH == 'build' and not var('testes_completos', false) -%}
        {{ alias ~ '.' if alias }}carregado_em >= '{{ run_started_at.isoformat() }}'::timestamptz
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
