// 把文字画成二维码（纯 JS 的 qrcode-generator 计算模块，画到 canvas 上）
const qr = require('../../utils/qr.js');

const QUIET = 4; // 四周留白的模块数

Component({
  properties: {
    text: { type: String, value: '', observer: 'draw' },
    size: { type: Number, value: 200 },
    canvasId: { type: String, value: 'qr-code' }
  },
  lifetimes: {
    ready: function () {
      this.draw();
    }
  },
  methods: {
    draw: function () {
      const text = this.data.text;
      if (!text) {
        return;
      }
      const rows = qr.matrix(text);
      const cells = rows.length + QUIET * 2;
      const unit = this.data.size / cells;
      const ctx = wx.createCanvasContext(this.data.canvasId, this);
      ctx.setFillStyle('#ffffff');
      ctx.fillRect(0, 0, this.data.size, this.data.size);
      ctx.setFillStyle('#000000');
      for (let r = 0; r < rows.length; r += 1) {
        for (let c = 0; c < rows.length; c += 1) {
          if (rows[r][c]) {
            ctx.fillRect((c + QUIET) * unit, (r + QUIET) * unit, unit, unit);
          }
        }
      }
      ctx.draw();
    }
  }
});
