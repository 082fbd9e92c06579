// Build the portal's partial plotly.js bundle (the same esbuild settings as plotly.js's own
// bundles, minus the WebGL shader plugin no chosen trace needs).
const esbuild = require('esbuild');
esbuild.build({
  entryPoints: ['./entry.js'], outfile: './plotly-portal.min.js', format: 'iife',
  globalName: 'Plotly', bundle: true, minify: true, sourcemap: false,
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  alias: { stream: 'stream-browserify' },
  loader: { '.css': 'empty' },  // maplibre's CSS, required only for map traces
  target: 'es2016', logLevel: 'info', legalComments: 'inline',
  banner: { js: '/* plotly.js v4.1.1 (MIT), partial bundle: scatter, bar, waterfall, indicator, heatmap */' },
}).catch(() => process.exit(1));
