const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const subscribe = require('../../utils/subscribe.js');

Component({
  data: { loggedIn: false, me: {}, unread: 0, loading: false, error: '', needLogin: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    onShow: function () {
      if (!this.data.loading) {
        this.reload();
      }
    },
    reload: function () {
      const loggedIn = api.isLoggedIn();
      this.setData({ loggedIn: loggedIn });
      if (!loggedIn) {
        return Promise.resolve(false);
      }
      subscribe.prefetch().catch(function () {
        return null; // 点击时再取
      });
      return page.load(this, function () {
        return Promise.all([api.call('me'), api.call('notificationUnreadCount')]).then(function (answers) {
          return { me: answers[0], unread: answers[1].unread };
        });
      });
    },
    onLogin: function () {
      wx.navigateTo({ url: '/pages/login/login' });
    },
    onOpen: function (e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
    onSubscribe: function () {
      return subscribe.requestConsent().then(function (result) {
        if (!result.asked.length) {
          wx.showToast({ title: '暂未开通微信消息提醒', icon: 'none' });
        } else {
          wx.showToast({ title: result.accepted.length ? '已开启提醒' : '未开启提醒', icon: 'none' });
        }
      }, page.toastError);
    },
    onLogout: function () {
      const self = this;
      return api.logout().then(function () {
        self.setData({ loggedIn: false, me: {}, unread: 0 });
      });
    }
  }
});
