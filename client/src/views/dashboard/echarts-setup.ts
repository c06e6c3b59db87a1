/**
 * ECharts, tree-shaken: only the charts, components and renderer the dashboard draws, so the
 * dashboard chunk stays small and nothing of it reaches the join page. The coastline is bundled
 * (scripts/coastline/build.mjs): the map fetches nothing at run time.
 */
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import coastline from './coastline.json';

echarts.use([BarChart, LineChart, PieChart, ScatterChart, GeoComponent, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** The name the geo component refers to. */
export const coastMap = 'zhejiang-fujian-coast';
echarts.registerMap(coastMap, coastline as Parameters<typeof echarts.registerMap>[1]);

export { echarts };
export type ChartOption = echarts.EChartsCoreOption;
