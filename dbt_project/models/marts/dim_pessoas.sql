{{
  config(
    indexes=[
      {'columns': ['sk_pessoa'], 'unique': True},
      {'columns': ['id_pessoa', 'valido_de']},
    ],
  )
}}
-- Person dimension, SCD type 2: one row per version (int_pessoas_versoes, from the snapshot;
-- the line below draws that dependency in the lineage too, not only through the ephemeral model).
-- depends_on: {{ ref('pessoas_snapshot') }}
--
-- Built after fato_pedidos, so it holds every person the fact points at: a person registered
-- after the snapshot read the OLTP but before fato_pedidos did (a concurrent writer) is in the
-- fact with the key of their version 1; they enter here with their current data read from the
-- OLTP, as that version 1, until the next snapshot captures them — with the same key.
with versoes as (
    select * from {{ ref('int_pessoas_versoes') }}
),

ainda_sem_snapshot as (
    select distinct f.id_pessoa
    from {{ ref('fato_pedidos') }} as f
    where not exists (
        select 1 from versoes as v
        where v.id_pessoa = f.id_pessoa
    )
)

select * from versoes

union all

select
    {{ chave_substituta(['p.id_pessoa', 1]) }} as sk_pessoa,
    p.id_pessoa,
    1                                          as versao,
    p.nome,
    p.sexo,
    p.dt_nasc,
    timestamptz '1900-01-01 00:00:00+00'       as valido_de,
    timestamptz '9999-12-31 00:00:00+00'       as valido_ate,
    true                                       as atual,
    p.criado_em,
    p.atualizado_em
from {{ ref('stg_pessoas') }} as p
where p.id_pessoa = any(array(select s.id_pessoa from ainda_sem_snapshot as s))
