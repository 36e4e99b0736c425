// Solutions of lesson 00's exercises. Kept apart from the student's notebook: shown by
// solucao(id) only after an attempt, and put in the answer cells only by `./liga curso`.
import type { Solucao } from "../tipos";

const SQL_001 = "SELECT current_database() AS banco, current_setting('wal_level') AS wal_level";

export const solucoesAula00: Record<string, Solucao> = {
  "00.1": {
    codigo: SQL_001,
    explicacao:
      "Duas funções do PostgreSQL, cada uma com o nome pedido (AS). Não há FROM: as funções não leem tabela nenhuma. " +
      "current_setting lê qualquer configuração do servidor, a mesma que SHOW mostra.",
    obter: () => SQL_001,
  },
};
