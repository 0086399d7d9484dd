// 服务器地址：本地开发用 127.0.0.1；真机预览或上线时改成已在小程序后台配置的 https 域名。
module.exports = {
  baseUrl: 'http://127.0.0.1:8000',
  // 请求超时（毫秒）
  timeout: 15000,
  // 上传图片的超时（毫秒）
  uploadTimeout: 60000
};
