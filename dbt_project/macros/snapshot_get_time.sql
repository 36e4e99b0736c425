{#
  dbt-postgres stamps snapshot times as `timestamp without time zone`, while pessoas.updated_at
  (the snapshot's updated_at) is timestamptz: dbt warns about the mismatch and a hard delete
  would close a version with a zone-less instant. The warehouse keeps instants as timestamptz.
#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
