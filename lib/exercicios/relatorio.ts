// The progress report per lesson (`./liga progresso`, notebook 00): for each exercise of the
// catalogue, the student's state and attempts, and whether the course run with the solutions
// (`./liga curso`) solved it. Pure: takes the catalogue and the recorded rows.
import { AULAS } from "./catalogo";
import type { Registro } from "./progresso";
import { AINDA_NAO_RESPONDIDO, type QualquerExercicio } from "./tipos";

export interface LinhaDeProgresso {
  aula: string;
  exercicio: string;
  tipo: string;
  titulo: string;
  voce: string;
  tentativas: number;
  execucaoDoCurso: string;
}

function estado(r: Registro | undefined): string {
  if (!r) return AINDA_NAO_RESPONDIDO;
  if (r.ok) return "✔ resolvido";
  return r.resolvidoEm ? "✔ resolvido (a última tentativa errou)" : "✘ tentando";
}

export function linhasDeProgresso(exercicios: readonly QualquerExercicio[], registros: readonly Registro[]): LinhaDeProgresso[] {
  const achar = (id: string, origem: string) => registros.find((r) => r.exercicio === id && r.origem === origem);
  return exercicios.map((ex) => {
    const aluno = achar(ex.id, "aluno");
    const curso = achar(ex.id, "curso");
    return {
      aula: ex.aula,
      exercicio: ex.id,
      tipo: ex.tipo,
      titulo: ex.titulo,
      voce: estado(aluno),
      tentativas: aluno?.tentativas ?? 0,
      execucaoDoCurso: curso ? (curso.ok ? "✔" : "✘") : "—",
    };
  });
}

/** The report as pt-BR text, grouped by lesson, with a total. */
export function relatorioDeProgresso(exercicios: readonly QualquerExercicio[], registros: readonly Registro[]): string {
  const linhas = linhasDeProgresso(exercicios, registros);
  const resolvido = (l: LinhaDeProgresso) => l.voce.startsWith("✔");
  const saida: string[] = [];
  for (const aula of [...new Set(linhas.map((l) => l.aula))]) {
    const daAula = linhas.filter((l) => l.aula === aula);
    saida.push(`Aula ${aula} · ${AULAS[aula] ?? ""}: ${daAula.filter(resolvido).length} de ${daAula.length} resolvidos`);
    for (const l of daAula) {
      const tentativas = l.tentativas ? `, ${l.tentativas} tentativa${l.tentativas > 1 ? "s" : ""}` : "";
      saida.push(`  ${l.exercicio}  ${l.titulo} (${l.tipo}): ${l.voce}${tentativas}   [execução do curso: ${l.execucaoDoCurso}]`);
    }
  }
  const feitos = linhas.filter(resolvido).length;
  saida.push("", `Total: ${feitos} de ${linhas.length} exercícios resolvidos por você.`);
  saida.push("[execução do curso] é o `./liga curso`, que roda os notebooks com as soluções: ✔ = a verificação passou com a solução.");
  return saida.join("\n");
}
