import { createMomentsApp } from './moments-app.ts';

createMomentsApp().app.synth();
