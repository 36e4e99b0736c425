{#
  Surrogate key: md5 of the natural key parts, null-safe, stored as uuid (16 bytes instead of
  the 33 of md5's hex text, so facts and their joins are smaller). Written here because the
  project depends on no dbt package (dbt_utils.generate_surrogate_key does the same in text).
  NULL becomes a sentinel and parts are separated, so (NULL, 'a') and ('a', NULL) differ.
  Keep every part's text form independent of session settings (integers and text are; cast
  timestamps yourself).
#}
{% macro chave_substituta(colunas) -%}
    md5(
    {%- for coluna in colunas %}
        coalesce(cast({{ coluna }} as text), '_nulo_')
        {%- if not loop.last %} || '|' || {% endif %}
    {%- endfor %}
    )::uuid
{%- endmacro %}
