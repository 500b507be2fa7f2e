// The state of a .gaml-demo element (see demoState in common.js).
(demo) => demoState(demo)
