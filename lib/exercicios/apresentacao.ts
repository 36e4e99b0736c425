// How exercises, verdicts, hints and solutions look in the notebook: plain text (the CLI, tests,
// graders reading text output) and HTML (tslab's display), both free of tslab itself.
import { escapeHtml } from "./texto";
import { DESCRICAO_DO_TIPO, type QualquerExercicio, type Resultado, type Situacao } from "./tipos";

const ROTULO: Record<Situacao, { icone: string; texto: string; cor: string }> = {
  ok: { icone: "✔", texto: "resolvido", cor: "#1a7f37" },
  // The pending message itself starts with "ainda não respondido": no label, no repetition.
  pendente: { icone: "…", texto: "", cor: "#6e7781" },
  "erro-conhecido": { icone: "✘", texto: "ainda não", cor: "#bf8700" },
  erro: { icone: "✘", texto: "ainda não", cor: "#cf222e" },
};

const tentativasDe = (r: Resultado) => (r.tentativas ? ` (tentativa ${r.tentativas})` : "");
const estadoDe = (r: Resultado) => (ROTULO[r.situacao].texto ? `: ${ROTULO[r.situacao].texto}${tentativasDe(r)}` : "");

/** One verdict as plain text: a header line, then the message. */
export function textoDoResultado(r: Resultado): string {
  const rotulo = ROTULO[r.situacao];
  return `${rotulo.icone} Exercício ${r.exercicio} · ${r.titulo}${estadoDe(r)}\n${r.mensagem}`;
}

/** One verdict as an HTML box (colour by situation, message with its line breaks). */
export function htmlDoResultado(r: Resultado): string {
  const rotulo = ROTULO[r.situacao];
  const mensagem = escapeHtml(r.mensagem).replace(/\n/g, "<br>");
  return (
    `<div style="border-left:4px solid ${rotulo.cor};padding:6px 10px;margin:4px 0">` +
    `<b style="color:${rotulo.cor}">${rotulo.icone} Exercício ${escapeHtml(r.exercicio)} · ${escapeHtml(r.titulo)}${estadoDe(r)}</b>` +
    `<div style="margin-top:4px">${mensagem}</div></div>`
  );
}

/** The exercise's statement (goal, task, what counts as done) as plain text. */
export function textoDoEnunciado(ex: QualquerExercicio): string {
  return [
    `Exercício ${ex.id} · ${ex.titulo} (${DESCRICAO_DO_TIPO[ex.tipo]})`,
    `Objetivo: ${ex.objetivo}`,
    `Tarefa: ${ex.tarefa}`,
    `Pronto quando: ${ex.pronto}`,
  ].join("\n");
}

/** Hint `n` (1-based) of `total`, as text. */
export function textoDaDica(id: string, n: number, total: number, dica: string): string {
  const resto = n < total ? ` Rode dica("${id}") de novo para a próxima.` : " Esta é a última dica.";
  return `Dica ${n} de ${total} do exercício ${id}: ${dica}${resto}`;
}
