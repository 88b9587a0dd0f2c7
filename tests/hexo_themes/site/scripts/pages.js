/* Writes public/hotpress-pages.json: every post as Hexo read it and the URL path it got, for
 * tests/test_hexo_themes_browser.py. */
'use strict';

hexo.extend.generator.register('hotpress-pages', function (locals) {
  const posts = locals.posts.map(function (post) {
    return {
      source: post.source,
      path: post.path,
      title: post.title,
      author: post.author,
      categories: post.categories.map(function (cat) { return cat.name; }),
      abbrlink: post.abbrlink === undefined ? null : String(post.abbrlink)
    };
  });
  return { path: 'hotpress-pages.json', data: JSON.stringify(posts) };
});
