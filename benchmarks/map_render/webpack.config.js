// Bundles entry.js (the map panel's compiled MapCanvas + deck.gl) for bench_map_render.js.
const path = require('path');

module.exports = {
  mode: 'production',
  entry: path.join(__dirname, 'entry.js'),
  output: {
    path: process.env.VL_BENCH_OUT || '/tmp/vl-bench-map',
    filename: 'bundle.js'
  },
  resolve: { modules: [path.join(__dirname, '..', '..', 'node_modules')] },
  performance: { hints: false }
};
