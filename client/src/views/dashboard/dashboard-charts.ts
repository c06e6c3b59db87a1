/** ECharts options for the dashboard's figures: plain data in, options out (no DOM). */
import type { Dashboard } from '../../../../shared/api/dashboard.ts';
import { coastMap, type ChartOption } from './echarts-setup.ts';

interface Slice {
  name: string;
  value: number;
}

const brand = '#0b5cab';
// Tooltips drawn in the canvas: no HTML built from figures.
const tooltip = { renderMode: 'richText' } as const;

/** Categories along the left, one bar each: long Chinese labels stay readable. */
export function barOption(slices: Slice[], seriesName: string): ChartOption {
  return {
    tooltip: { ...tooltip, trigger: 'axis' },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: slices.map((s) => s.name) },
    series: [{ type: 'bar', name: seriesName, data: slices.map((s) => s.value), itemStyle: { color: brand }, label: { show: true, position: 'right' } }],
  };
}

export function intakeOption(weeks: Dashboard['intakePerWeek'], seriesName: string): ChartOption {
  return {
    tooltip: { ...tooltip, trigger: 'axis' },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: weeks.map((w) => w.weekStart.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'line', name: seriesName, data: weeks.map((w) => w.count), itemStyle: { color: brand }, areaStyle: { opacity: 0.15 } }],
  };
}

export function pieOption(slices: Slice[], seriesName: string): ChartOption {
  return {
    tooltip: { ...tooltip, trigger: 'item' },
    legend: { bottom: 0, type: 'scroll' },
    series: [{ type: 'pie', name: seriesName, radius: ['35%', '65%'], center: ['50%', '45%'], data: slices.filter((s) => s.value > 0), label: { formatter: '{b}: {c}' } }],
  };
}

/** Incident positions over the bundled Zhejiang–Fujian coastline. */
export function mapOption(positions: Dashboard['positions'], labelOf: (type: Dashboard['positions'][number]['disputeType']) => string): ChartOption {
  return {
    tooltip: { ...tooltip, trigger: 'item' },
    geo: {
      map: coastMap,
      roam: true,
      layoutSize: '100%',
      itemStyle: { borderColor: '#6b7c93', borderWidth: 1, areaColor: 'transparent' },
      emphasis: { disabled: true },
      silent: true,
    },
    series: [
      {
        type: 'scatter',
        coordinateSystem: 'geo',
        symbolSize: 10,
        itemStyle: { color: '#d9480f' },
        data: positions.map((p) => ({ name: labelOf(p.disputeType), value: [p.lon, p.lat] })),
      },
    ],
  };
}
