/** The recovery timeline as an SVG chart for the incident report, drawn by Apache ECharts' server-side renderer. */
import * as echarts from 'echarts';
import { Recovery, RTO_SECONDS, seconds } from '../domain/recovery';

const COLOURS: Record<string, string> = {
  decision: '#b07aa1',
  swap: '#4e79a7',
  healthy: '#59a14f',
  verified: '#f28e2b',
  watched: '#9c9c9c',
};

/** A bar per phase, placed at its start and as long as it took (seconds since the incident began), and the RTO line. */
export function recoveryChart(r: Recovery): string {
  const start = Date.parse(r.startedAt);
  const offset = (at: string) => (Date.parse(at) - start) / 1000;
  const names = r.phases.map((p, i) => `${i + 1}. ${p.phase}`);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 720, height: 80 + 36 * r.phases.length });
  try {
    chart.setOption({
      animation: false,
      grid: { left: 110, right: 30, top: 30, bottom: 30 },
      title: {
        text: `Recovery timeline, s since the incident began: ${r.toHealthyMs === undefined ? 'never healthy' : `healthy after ${seconds(r.toHealthyMs)}`} (RTO ${RTO_SECONDS} s)`,
        textStyle: { fontSize: 13 },
      },
      // The RTO line shows once the recovery comes near it; a fast one keeps its own scale.
      xAxis: {
        type: 'value',
        min: 0,
        max: (v: { max: number }) => (v.max > RTO_SECONDS / 2 ? Math.max(v.max, RTO_SECONDS) : v.max),
      },
      yAxis: { type: 'category', data: names, inverse: true },
      series: [
        // An invisible bar up to each phase's start, then the phase: a Gantt chart from stacked bars.
        { type: 'bar', stack: 't', itemStyle: { color: 'transparent' }, data: r.phases.map((p) => offset(p.from)) },
        {
          type: 'bar',
          stack: 't',
          data: r.phases.map((p) => ({ value: p.ms / 1000, itemStyle: { color: COLOURS[p.phase] } })),
          label: { show: true, position: 'right', formatter: (v: { value: number }) => `${v.value.toFixed(1)} s` },
          markLine: {
            symbol: 'none',
            data: [{ xAxis: RTO_SECONDS, label: { formatter: `RTO ${RTO_SECONDS} s` } }],
            lineStyle: { color: '#e15759', type: 'dashed' },
          },
        },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
