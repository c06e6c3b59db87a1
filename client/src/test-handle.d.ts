/** True only in test builds (`vite build --mode test`): the room installs window.__haiqiaoRoom. */
declare const __HAIQIAO_TEST_HANDLE__: boolean;
