// Exercises of lesson 00 (the platform). 00.1: a first SQL query, asking PostgreSQL itself which
// database it is and its wal_level — the setting that lets Debezium read changes (CDC).
import { consultaDoAluno, coluna, errosDeSql, mesmaTabela, primeiraDiferenca, sqlVazio, type Tabela } from "./sql";
import type { Exercicio } from "./tipos";

interface Analise001 {
  aluno: Tabela;
  referencia: Tabela;
}

const REFERENCIA_001 = "SELECT current_database() AS banco, current_setting('wal_level') AS wal_level";

export const exercicio001: Exercicio<string, Analise001> = {
  id: "00.1",
  aula: "00",
  tipo: "sql",
  titulo: "Pergunte ao próprio PostgreSQL",
  objetivo:
    "Fazer sua primeira consulta SQL ao OLTP e ver, de dentro do banco, a configuração que permite o CDC " +
    "(o WAL, write-ahead log, é o diário onde o PostgreSQL anota cada mudança antes de gravá-la; o Debezium lê esse diário).",
  tarefa:
    "Escreva um SELECT que devolva UMA linha com duas colunas: banco (o nome do banco em que você está, função current_database()) " +
    "e wal_level (o valor da configuração wal_level, função current_setting('wal_level')).",
  pronto: "a consulta devolve exatamente as colunas banco e wal_level, numa linha, com os valores do servidor agora.",
  dicas: [
    "Um SELECT não precisa de FROM: SELECT 1 + 1 já é uma consulta válida.",
    "Para dar nome a uma coluna calculada, use AS: SELECT current_database() AS banco.",
    "Separe as duas colunas com vírgula: SELECT current_database() AS banco, current_setting('…') AS wal_level.",
  ],
  semResposta: sqlVazio,
  analisar: async (sql) => ({ aluno: await consultaDoAluno(sql), referencia: await consultaDoAluno(REFERENCIA_001) }),
  correto: (a) => mesmaTabela(a.aluno, a.referencia),
  parabens: (a) =>
    `Isso! Você está no banco ${String(coluna(a.referencia, "banco")![0])} e o wal_level é ${String(coluna(a.referencia, "wal_level")![0])}: ` +
    "com 'logical' o WAL guarda o suficiente para reconstruir cada linha alterada, e é isso que o Debezium publica no Kafka (aula 04).",
  errosTipicos: [
    ...errosDeSql<Analise001>((a) => a.aluno),
    {
      codigo: "show-em-vez-de-select",
      reconhece: (a) => a.aluno.colunas.length === 1 && a.aluno.colunas[0] === "wal_level",
      explicar: () =>
        "SHOW wal_level mostra a configuração, mas não combina com outras colunas. Para ter banco e wal_level na mesma linha, " +
        "use um SELECT com as funções current_database() e current_setting('wal_level').",
    },
    {
      codigo: "colunas-sem-nome",
      reconhece: (a) => a.aluno.colunas.includes("current_database") || a.aluno.colunas.includes("current_setting"),
      explicar: (a) =>
        `Os valores podem estar certos, mas as colunas se chamam ${a.aluno.colunas.join(", ")}: o PostgreSQL usa o nome da função ` +
        "quando você não dá um. Dê os nomes pedidos com AS: … AS banco, … AS wal_level.",
    },
    {
      codigo: "varias-linhas",
      reconhece: (a) => a.aluno.linhas.length > 1,
      explicar: (a) =>
        `Sua consulta devolveu ${a.aluno.linhas.length} linhas; a pedida tem uma só. Consultou uma tabela (pg_settings, por exemplo) sem WHERE? ` +
        "As duas funções já devolvem um valor cada: não precisa de FROM.",
    },
  ],
  mensagemGenerica: (a) =>
    `Ainda não bate com o servidor: ${primeiraDiferenca(a.aluno, a.referencia) ?? `as colunas devem ser só banco e wal_level (você devolveu ${a.aluno.colunas.join(", ")})`}.`,
};
