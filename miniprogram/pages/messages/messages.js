const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const pager = require('../../utils/pager.js');
const format = require('../../utils/format.js');

Component({
  data: { messages: [], unread: 0, pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return pager.first(this, {
        key: 'messages',
        fetch: function (pageNo) {
          return api.call('notificationList', { query: { page: pageNo } });
        },
        map: function (n) {
          return Object.assign({}, n, { timeText: format.dateTime(n.created_at) });
        },
        extra: function () {
          return api.call('notificationUnreadCount').then(function (count) {
            return { unread: count.unread };
          });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onOpen: function (e) {
      const self = this;
      const index = e.currentTarget.dataset.index;
      const message = self.data.messages[index];
      const read = message.is_read ? Promise.resolve(message) : api.call('notificationRead', { params: { notification_id: message.id } });
      return read.then(function (updated) {
        if (!message.is_read) {
          const change = { unread: Math.max(0, self.data.unread - 1) };
          change['messages[' + index + '].is_read'] = updated.is_read;
          self.setData(change);
        }
        if (message.page) {
          wx.navigateTo({ url: '/' + message.page });
        }
      }, page.toastError);
    },
    onReadAll: function () {
      const self = this;
      return api.call('notificationReadAll').then(function () {
        return self.reload();
      }, page.toastError);
    }
  }
});
