// Runs `hexo generate` in the current folder with the pinned Hexo of bench/peers.
const Hexo = require('hexo');
const hexo = new Hexo(process.cwd(), { silent: true });
hexo.init()
  .then(() => hexo.call('generate', {}))
  .then(() => hexo.exit())
  .catch((err) => { console.error(err); return hexo.exit(err).then(() => process.exit(1)); });
