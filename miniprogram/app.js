const api = require('./api/index.js');

App({
  onLaunch: function () {
    // 登录失效（refresh 也被拒绝）时回到登录页
    api.onLogout(function () {
      wx.reLaunch({ url: '/pages/login/login' });
    });
  }
});
