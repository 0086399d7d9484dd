const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

Component({
  data: { records: [], loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return api.call('recordList').then(function (data) {
          const records = data.results.map(function (r) {
            return Object.assign({}, r, { visitText: format.datePart(r.visit_at) });
          });
          return { records: records, empty: records.length === 0 };
        });
      });
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/record/record?id=' + e.currentTarget.dataset.id });
    }
  }
});
