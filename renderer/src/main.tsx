// The renderer's entry: pick the transport (Electron preload or the web shell's HTTP), wrap it in
// the validating client, and mount the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { ApiClient } from './api/api-client.ts';
import { chooseBridge } from './bridge/choose-bridge.ts';
import { App } from './components/App.tsx';
import './components/base.css';

// zod would probe `new Function` to compile fast parsers; the CSP forbids eval, and even the
// failed probe is reported as a violation. Parsing without it is fast enough here.
z.config({ jitless: true });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element to mount Hearth into.');

createRoot(root).render(
  <StrictMode>
    <App client={new ApiClient(chooseBridge())} />
  </StrictMode>,
);
