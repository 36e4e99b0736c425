// Turning a failed connector into something a student can act on: the meaningful lines of a
// Java stack trace, and a pt-BR hint for the failures the course is likely to meet. Connect
// reports a task's failure only as trace text over REST, so the hint has to read that text; it
// picks words to show, never what the code does next.
import { config } from "../config";

/** The lines of a Java stack trace worth reading: the top error and each "Caused by", without frames. */
export function resumoDoTrace(trace: string, max = 4): string {
  const linhas = trace
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("at ") && !/^\.\.\. \d+ more$/.test(l) && !l.startsWith("Suppressed:"));
  // Keep the top line and the deepest causes: the root cause is what the student can fix.
  const escolhidas = linhas.length <= max ? linhas : [linhas[0], ...linhas.slice(-(max - 1))];
  return [...new Set(escolhidas)].map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join("\n  ");
}

/** Known causes, first match wins: a pattern of Connect's/Debezium's text and the hint for it. */
function causas(usuario: string): [RegExp, string][] {
  return [
    [
      /\$\{env:[A-Z_]+\}/,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Connect's ${env:…} placeholder, shown to the student as is.
      "O worker do Kafka Connect não tem alguma variável usada em ${env:…}: reinicie o Connect para ele ler o .env " +
        "(`npm run stack -- down` e `up`, ou `docker compose up -d connect`).",
    ],
    [
      /password authentication failed|authentication failed/i,
      `O PostgreSQL recusou a senha: confira CDC_USER/CDC_PASSWORD (usuário ${usuario}) no .env, rode prepararCaptura() ` +
        "e reinicie o Connect se você mudou a variável.",
    ],
    [/role .* does not exist/i, "O usuário de replicação não existe: rode prepararCaptura()."],
    [
      /publication .*(does not exist|autocreation is disabled)|autocreation is disabled/i,
      "A publicação não existe no PostgreSQL (publication.autocreate.mode=disabled): rode prepararCaptura() e depois reiniciarConector().",
    ],
    [
      /replication slot .* is active|slot .* already exists|distinct replication slot/i,
      "O slot de replicação está em uso por outro conector: cada conector precisa do seu slot.name.",
    ],
    [
      /must be superuser or replication role|permission denied/i,
      "Falta privilégio ao usuário de replicação: rode prepararCaptura() (REPLICATION + SELECT nas seis tabelas).",
    ],
    [
      /Connection refused|UnknownHost|Connection to .* refused/i,
      "O Connect não alcança o PostgreSQL: confira OLTP_HOST/OLTP_PORT e se o banco está no ar.",
    ],
  ];
}

/** A hint in Portuguese for what Connect reported (a trace summary or a validation error). */
export function dica(texto: string): string {
  const conhecida = causas(config().cdc.user).find(([padrao]) => padrao.test(texto));
  return conhecida ? conhecida[1] : "Veja o log completo com `npm run stack -- logs connect` (ou `docker compose logs connect`).";
}
