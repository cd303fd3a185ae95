/**
 * A large COCO document made by cycling through a small one's images and
 * boxes: the UI tests' 10K grid and the grid benchmark's 100K set.
 */

/**
 * `n` images cycling through `sourceImages` (by default all of `src.images`),
 * each with the boxes its source image has in `src`; ids are renumbered and
 * every fifth image is in the `val` split.
 *
 * @param {{images: any[], annotations: any[], categories: any[]}} src
 * @param {number} n
 * @param {any[]} [sourceImages]
 */
function tiledCoco(src, n, sourceImages = src.images) {
  const boxes = new Map();
  for (const a of src.annotations) {
    if (!boxes.has(a.image_id)) {
      boxes.set(a.image_id, []);
    }
    boxes.get(a.image_id).push(a);
  }
  const images = [];
  const annotations = [];
  for (let i = 0; i < n; i++) {
    const im = sourceImages[i % sourceImages.length];
    images.push({
      id: i + 1,
      file_name: im.file_name,
      width: im.width,
      height: im.height,
      split: i % 5 === 0 ? 'val' : 'train'
    });
    for (const a of boxes.get(im.id) || []) {
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: a.category_id,
        bbox: a.bbox,
        area: a.area,
        iscrowd: 0
      });
    }
  }
  return { categories: src.categories, images, annotations };
}

module.exports = { tiledCoco };
