const api = require('../../api/index.js');
const pager = require('../../utils/pager.js');
const format = require('../../utils/format.js');

Component({
  data: { member: {}, points: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return pager.first(this, {
        key: 'points',
        fetch: function (pageNo) {
          return api.call('memberPoints', { query: { page: pageNo } });
        },
        map: function (p) {
          return Object.assign({}, p, { timeText: format.dateTime(p.created_at), deltaText: (p.delta > 0 ? '+' : '') + p.delta });
        },
        extra: function () {
          return api.call('member').then(function (member) {
            return { member: member };
          });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    }
  }
});
