select
    id         as id_categoria,
    descricao  as categoria,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'categorias') }}
