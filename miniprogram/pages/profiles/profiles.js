const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const pager = require('../../utils/pager.js');

const RELATIONS = { self: '本人', parent: '父母', spouse: '配偶', child: '子女', relative: '亲属', other: '其他' };

Component({
  data: { profiles: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      this.loaded = true;
      return this.reload();
    },
    onShow: function () {
      if (this.loaded && !this.data.loading) {
        this.reload();
      }
    },
    reload: function () {
      return pager.first(this, {
        key: 'profiles',
        fetch: function (pageNo) {
          return api.call('profileList', { query: { page: pageNo } });
        },
        map: function (p) {
          return Object.assign({}, p, { relationText: RELATIONS[p.relation] || p.relation });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onAdd: function () {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit' });
    },
    onLedger: function (e) {
      wx.navigateTo({ url: '/pages/ledger/ledger?profile_id=' + e.currentTarget.dataset.id });
    },
    onEdit: function (e) {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit?id=' + e.currentTarget.dataset.id });
    },
    onDelete: function (e) {
      const self = this;
      const id = e.currentTarget.dataset.id;
      return page.confirm('确定删除这位就诊人吗？').then(function (ok) {
        if (!ok) {
          return null;
        }
        return api.call('profileDelete', { params: { profile_id: id } }).then(function () {
          wx.showToast({ title: '已删除', icon: 'success' });
          return self.reload();
        });
      }).catch(page.toastError);
    }
  }
});
