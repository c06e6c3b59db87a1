/** The colours of a status pill (Pill.svelte); the pill's text always says it, colour only helps. */
export type Tone = 'info' | 'active' | 'good' | 'muted' | 'bad';
