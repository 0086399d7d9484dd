// 在 Node 里实现小程序 API module 用到的那部分 wx：wx.request（Node 的 http/https）和本地存储。
const http = require('http');
const https = require('https');

function createWx() {
  const storage = {};
  return {
    getStorageSync: function (key) {
      return Object.prototype.hasOwnProperty.call(storage, key) ? storage[key] : '';
    },
    setStorageSync: function (key, value) {
      storage[key] = JSON.parse(JSON.stringify(value));
    },
    removeStorageSync: function (key) {
      delete storage[key];
    },
    request: function (options) {
      const url = new URL(options.url);
      const client = url.protocol === 'https:' ? https : http;
      const body = options.data === undefined ? null : Buffer.from(JSON.stringify(options.data));
      const headers = Object.assign({}, options.header || {});
      if (body) {
        headers['Content-Length'] = body.length;
      }
      const req = client.request(url, { method: options.method, headers: headers, timeout: options.timeout || 15000 }, function (res) {
        const chunks = [];
        res.on('data', function (chunk) {
          chunks.push(chunk);
        });
        res.on('end', function () {
          const raw = Buffer.concat(chunks).toString('utf8');
          let data = raw;
          if (/json/.test(res.headers['content-type'] || '')) {
            try {
              data = JSON.parse(raw);
            } catch (err) {
              data = raw;
            }
          }
          options.success({ statusCode: res.statusCode, data: data, header: res.headers });
        });
      });
      req.on('timeout', function () {
        req.destroy(new Error('timeout'));
      });
      req.on('error', function (err) {
        options.fail({ errMsg: 'request:fail ' + err.message });
      });
      if (body) {
        req.write(body);
      }
      req.end();
    }
  };
}

module.exports = { createWx: createWx };
