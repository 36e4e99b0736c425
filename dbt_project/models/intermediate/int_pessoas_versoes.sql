{{ config(materialized='ephemeral') }}
-- The versions of each person captured by pessoas_snapshot (SCD type 2), numbered, with their
-- validity. Ephemeral (a CTE inside the models that use it): fato_pedidos looks up the version
-- valid at each sale here, and dim_pessoas publishes it.
--
-- The first version of each person starts on 1900-01-01 instead of the updated_at that created
-- it: historical orders are dated up to 180 days before the people were registered, and they
-- must still find the person. sk_pessoa hashes (id, version number), so the key of a person's
-- version 1 is known before the snapshot captures the person.
with versoes as (
    select
        s.*,
        row_number() over (partition by s.id order by s.dbt_valid_from) as versao
    from {{ ref('pessoas_snapshot') }} as s
)

select
    {{ chave_substituta(['id', 'versao']) }}                                               as sk_pessoa,
    id                                                                                     as id_pessoa,
    versao,
    nome,
    sexo,
    dt_nasc,
    case when versao = 1 then timestamptz '1900-01-01 00:00:00+00' else dbt_valid_from end as valido_de,
    coalesce(dbt_valid_to, timestamptz '9999-12-31 00:00:00+00')                           as valido_ate,
    dbt_valid_to is null                                                                   as atual,
    created_at                                                                             as criado_em,
    updated_at                                                                             as atualizado_em
from versoes
