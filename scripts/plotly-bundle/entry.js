'use strict';
// The portal's plotly.js: the core (scatter) and the four other trace types it draws.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/waterfall'),
    require('plotly.js/lib/indicator'),
    require('plotly.js/lib/heatmap')
]);

module.exports = Plotly;
