-- SCD type 2 sanity: a person's versions follow each other with no gap and no overlap (each
-- version ends where the next begins), only the last one can be current, and the first starts
-- on 1900-01-01. Returns the offending versions.
with versoes as (
    select
        *,
        lead(valido_de) over (partition by id_pessoa order by versao) as proxima_de
    from {{ ref('dim_pessoas') }}
)

select
    id_pessoa,
    versao,
    valido_de,
    valido_ate,
    proxima_de,
    atual
from versoes
where
    (proxima_de is not null and (valido_ate <> proxima_de or atual))
    or (versao = 1 and valido_de <> timestamptz '1900-01-01 00:00:00+00')
    or valido_de >= valido_ate
