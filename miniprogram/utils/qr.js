// 文字 → 二维码模块矩阵（true 为深色），纠错等级 M
const qrcode = require('../vendor/qrcode-generator.js');

function matrix(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < count; r += 1) {
    const row = [];
    for (let c = 0; c < count; c += 1) {
      row.push(qr.isDark(r, c));
    }
    rows.push(row);
  }
  return rows;
}

module.exports = { matrix: matrix };
