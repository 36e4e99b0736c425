-- One row per person, columns renamed to the warehouse's names. A view: it reads the OLTP
-- through postgres_fdw at query time.
select
    id         as id_pessoa,
    nome,
    sexo,
    dt_nasc,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'pessoas') }}
