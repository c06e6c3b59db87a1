import { mount } from 'svelte';
import App from './App.svelte';
import { router } from './lib/router.svelte.ts';
import './app.css';

router.interceptLinks();

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

export default mount(App, { target });
